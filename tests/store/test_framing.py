"""The writer's frames: each conversation crosses the pipe once, and every item reads back whole."""

from __future__ import annotations

import io

import pytest

from afgap.store import framing
from afgap.store.framing import FRAME, Conversations, frame
from afgap.store.rows import ResponseRow
from afgap.store.writer_child import frames

PROMPT = "[{'role': 'system', 'content': 'a long rendered system prompt'}] "


def _conversation(i: int) -> str:
    return f"{PROMPT}#{i}"


def _row(n: int, k: int) -> tuple[object, ...]:
    """A row as the writer sends it: a plain tuple of ResponseRow's length."""
    return (n, k, *[None] * (len(ResponseRow._fields) - 2))


def _send(sender: Conversations, batches: list[list[int]]) -> list[bytes]:
    """Frames of items (row, conversation, answer) whose conversations are numbered `batches`."""
    sent = []
    for batch in batches:
        new: list[str] = []
        items = [(_row(n, k), sender.reference(_conversation(n), new), None) for k, n in enumerate(batch)]
        sent.append(frame(new, items))
    return sent


def _received(sent: list[bytes]) -> list[list[tuple[object, str, object]]]:
    return [list(batch) for batch in frames(io.BytesIO(b"".join(sent)))]


def test_a_conversation_sent_again_crosses_the_pipe_once_and_reads_back_whole() -> None:
    batches = [[0, 1, 0], [1, 2], [2, 0, 1, 3]]
    sent = _send(Conversations(), batches)
    wire = b"".join(sent)
    assert wire.count(PROMPT.encode()) == 4  # conversations 0..3, each once
    received = _received(sent)
    assert [[conversation for _, conversation, _ in batch] for batch in received] == [
        [_conversation(n) for n in batch] for batch in batches
    ]
    # Rows cross as plain tuples and arrive as ResponseRows.
    assert [[row for row, _, _ in batch] for batch in received] == [
        [ResponseRow._make(_row(n, k)) for k, n in enumerate(batch)] for batch in batches
    ]
    assert all(type(row) is ResponseRow for batch in received for row, _, _ in batch)


def test_past_the_numbered_limit_conversations_cross_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(framing, "NUMBERED", 2)
    batches = [[0, 1, 2], [2, 0, 3]]
    sent = _send(Conversations(), batches)
    # 0 and 1 are numbered and cross once; 2 (twice) and 3 cross as text.
    assert b"".join(sent).count(PROMPT.encode()) == 5
    received = _received(sent)
    expected = [[_conversation(n) for n in batch] for batch in batches]
    assert [[c for _, c, _ in batch] for batch in received] == expected


def test_the_sender_reads_back_its_own_unsent_frames_whole() -> None:
    """What the child never took is saved by the parent: numbers resolve from the sender's side."""
    sender = Conversations()
    sent = _send(sender, [[0, 1], [1, 0, 2]])
    unsent = sender.items(sent[1][FRAME.size :], received=False)  # its first frame did reach the child
    assert [c for _, c, _ in unsent] == [_conversation(1), _conversation(0), _conversation(2)]
