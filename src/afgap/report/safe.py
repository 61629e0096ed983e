"""Untrusted strings (model and scenario names, query text) made safe for each place they are written.

Terminal: every control character (C0, DEL, C1) is shown as a `\\xNN` escape, so ESC, OSC and
clear-screen sequences arrive as visible text instead of commands, and each bidi override or isolate as
`\\uNNNN`, so it cannot reorder what is shown. CSV adds a formula guard; Markdown escapes what would break
a table cell; XML drops what XML 1.0 forbids, then escapes.
"""

from __future__ import annotations

import re
from html import escape

# Bidirectional embeddings, overrides and isolates: invisible, yet they reorder the text shown after them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SHOWN_ESCAPED = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
# Everything outside XML 1.0's Char production (lone surrogates included), and DEL and C1, which it
# allows but discourages and a terminal showing the file would obey.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@")
_MARKDOWN = re.compile(r"([\\|`<>])")


def terminal(text: str) -> str:
    """Text for a terminal: a control character as a visible `\\xNN` escape, a bidi control as `\\uNNNN`."""
    return _SHOWN_ESCAPED.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def csv_cell(text: str) -> str:
    """A text cell for CSV: terminal-safe, and a leading formula character quoted away with `'`."""
    shown = terminal(text)
    return "'" + shown if shown.startswith(_FORMULA_START) else shown


def markdown_cell(text: str) -> str:
    """A Markdown table cell: terminal-safe (newlines become `\\x0a`), `\\ | ` < >` backslash-escaped."""
    return _MARKDOWN.sub(r"\\\1", terminal(text))


def xml_text(text: str) -> str:
    """Text or an attribute value for XML, SVG or HTML: forbidden characters dropped, then escaped."""
    return escape(_NOT_XML.sub("", text))
