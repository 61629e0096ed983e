"""afgap's one error tree. Each class carries the process exit code the CLI maps it to.

    AfgapError                 (exit 1: a bug, should never reach the user)
    ├── InputError             (exit 2: bad flag, file, record, model string, missing key)
    │   ├── UnknownModelError
    │   ├── MissingKeyError
    │   ├── StoreError         (not an afgap SQLite file, corrupt, unwritable)
    │   │   └── ReadOnlyStoreError (this process may read the store but not write it)
    │   ├── ImportFormatError  (bad interchange line: carries the line number)
    │   ├── ScenarioError
    │   └── QueryFileError
    ├── PartialFailure         (exit 3: finished, but some calls failed or are unavailable)
    └── Interrupted            (exit 130: Ctrl-C / SIGTERM; the store is consistent)

Messages are one line and name the bad value or the environment *variable*, never a key's value.
"""

from __future__ import annotations


class AfgapError(Exception):
    """Base of every error afgap raises on purpose."""

    exit_code: int = 1


class InputError(AfgapError):
    """Usage or input error: the user can fix it by changing what they typed or passed."""

    exit_code = 2


class UnknownModelError(InputError):
    """A model string whose provider prefix afgap does not know."""


class MissingKeyError(InputError):
    """A provider's API key variable is not set."""


class StoreError(InputError):
    """The store file cannot be opened, is not afgap's, or is corrupt."""


class ReadOnlyStoreError(StoreError):
    """The store's file, directory or file system cannot be written by this process."""


class ImportFormatError(InputError):
    """An interchange record failed validation; the message names the line."""


class ScenarioError(InputError):
    """A scenario file or name is invalid."""


class QueryFileError(InputError):
    """A query file or set is invalid."""


class PartialFailure(AfgapError):
    """The work finished but some calls ended as error or unavailable."""

    exit_code = 3


class Interrupted(AfgapError):
    """Stopped by Ctrl-C or SIGTERM; what was stored is intact and a rerun resumes."""

    exit_code = 130
