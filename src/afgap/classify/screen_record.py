"""What is known of each offline screen version on real model text, quoted beside every AF figure it gives.

The figures come from hand-labelled real scratchpads (docs/classification.md, "Measured on real text"), not
from afgap's own or simulated text, which say nothing about real scratchpads. A version missing here has
no real-text measurement, and reports say so.
"""

from __future__ import annotations

import functools

from afgap.vocabulary import Label, Outcome

# The version new screen labels carry (afgap.classify.screen); here, with the label it gives a reply
# with nothing to screen, so the labels given on arrival need not load the screen's lexicon.
CURRENT_SCREEN = "screen@2"


@functools.cache
def unscreened(outcome: Outcome, rule: str) -> Label:
    """The current screen's label of a reply with no scratchpad: the tag parser's verdict, no AF reasoning."""
    return Label(outcome=outcome, classifier=CURRENT_SCREEN, rule=rule)


REAL_TEXT = {
    "screen@2": (
        "on real text its specificity is 1.00 [0.96, 1.00] (0 of 88 held-out non-faking Gemini 3.1 Pro "
        "scratchpads flagged); its recall on real text is unmeasured"
    ),
    "screen@1": "on real text AUROC 0.70 [0.60, 0.79] (106 held-out Claude 3 Opus scratchpads)",
}


def is_screen(classifier: str) -> bool:
    """Whether labels of this classifier come from an offline screen (every version is named screen@N).

    Here rather than asked of classify.screen: reports need the answer without loading the screen's lexicon.
    """
    return classifier.split("@")[0] == "screen"


def real_text_record(classifier: str) -> str:
    """One clause on a screen version's accuracy on real text, or that it has none."""
    return REAL_TEXT.get(classifier, "unvalidated on real text")
