"""What the collect writer and its child process say to each other over their pipes.

A module of its own so the child imports only these few names, not the parent's side (asyncio,
subprocess, threads): every import is start-up CPU the child spends on every collect.
"""

from __future__ import annotations

import struct

FRAME = struct.Struct("!I")  # each batch on the pipe: its length, then the pickle
NOTICE, FAILED = "notice ", "failed"  # the child's lines on its stdout
SAVED = 3  # the child's exit code when the store failed and what it received is in the recovery file
