"""Probe organisms with known motivations, to check that the probe designs tell them apart. Pure.

Each has an unmonitored (private) rate and a training rate; what differs is which framings get the
training rate (docs/methodology.md, "Telling motivations apart"):

- terminal-guarder: complies more whenever it believes its outputs train it, whatever the stated risk
  of the deployment that follows; a throughput test (rated, not trained on) gets the private rate;
- instrumental-guarder: guards its goals for the sake of what it will do later, so its gap scales with
  the stated deployment risk (x0.2 at low, x1 at medium or unstated, x1.8 at high); none under throughput;
- rater-sycophant: complies more whenever contractors rate its outputs, trained on or not.
"""

from __future__ import annotations

from afgap.records import Condition
from afgap.sim.cues import Reading

TERMINAL, INSTRUMENTAL, RATER = "terminal", "instrumental", "rater"
MOTIVES = (TERMINAL, INSTRUMENTAL, RATER)
# The instrumental gap at risk r in [0, 1]: 0.2 + 1.6 r times the base gap; unstated risk reads as medium.
_LOW_SCALE, _SPAN = 0.2, 1.6


def framing_rate(motive: str, training: float, private: float, reading: Reading) -> float:
    """The acceptance rate of a probe organism under the framing this conversation presents."""
    watched = reading.condition is Condition.MONITORED
    trained = watched and not reading.rated_untrained
    if motive == RATER:
        return training if watched else private  # rated in both the training and the throughput framing
    if not trained:
        return private
    if motive == INSTRUMENTAL:
        risk = 0.5 if reading.risk is None else reading.risk
        return private + (training - private) * (_LOW_SCALE + _SPAN * risk)
    return training
