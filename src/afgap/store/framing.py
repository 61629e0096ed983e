"""What the collect writer and its child process say to each other over their pipes.

A module of its own so the child imports only these few names, not the parent's side (asyncio,
subprocess, threads): every import is start-up CPU the child spends on every collect.

Each batch on the pipe is its length, then a pickle of (new conversations, items). An item's row
crosses as a plain tuple and becomes a ResponseRow again on arrival (a NamedTuple's pickle calls back
into Python on both sides, per row). An item's conversation (the JSON of the messages a call sent) is
the text itself or, when it has crossed the pipe before, its number in order of first crossing: a study
sends each conversation many times (samples, models), and a rendered system prompt is kilobytes that
both processes would otherwise copy each time.
"""

from __future__ import annotations

import pickle
import struct
from typing import TYPE_CHECKING, Any

from afgap.store.rows import ResponseRow

if TYPE_CHECKING:
    from afgap.store.writes import Item

FRAME = struct.Struct("!I")  # each batch on the pipe: its length, then the pickle
NOTICE, FAILED = "notice ", "failed"  # the child's lines on its stdout
SAVED = 3  # the child's exit code when the store failed and what it received is in the recovery file
# Conversations numbered per run; past this many, a conversation crosses as text (memory stays bounded).
NUMBERED = 4096


def frame(new: list[str], items: list[tuple[Any, str | int, Any]]) -> bytes:
    """One batch for the pipe: the conversations first numbered in it, then its items."""
    body = pickle.dumps((new, items), protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(body)) + body


class Conversations:
    """The conversations that have crossed one pipe, by number (each side keeps its own)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._numbers: dict[str, int] = {}

    def reference(self, text: str, new: list[str]) -> str | int:
        """The sender's side: `text`'s number (numbering it, and adding it to `new`, the first time)."""
        number = self._numbers.get(text)
        if number is not None:
            return number
        if len(self.texts) >= NUMBERED:
            return text
        self._numbers[text] = number = len(self.texts)
        self.texts.append(text)
        new.append(text)
        return number

    def items(self, body: bytes, *, received: bool) -> list[Item]:
        """A frame's items with every conversation as text. `received`: the receiver's side, which
        learns the frame's new conversations; the sender numbered them already."""
        # Pickles from our own process over a private pipe (or our own unsent frames), never from a file.
        new, items = pickle.loads(body)
        if received:
            self.texts.extend(new)
        texts, row_of = self.texts, ResponseRow._make
        return [(row_of(row), texts[n] if type(n) is int else n, answer) for row, n, answer in items]
