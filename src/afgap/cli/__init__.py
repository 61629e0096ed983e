"""afgap's command line: a thin shell over the library.

`main` is the one place where errors become messages and exit codes: 2 usage/input,
3 partial failure, 130 interrupted, 1 a bug (traceback only with --debug).
"""

from __future__ import annotations

import re
import sys
import traceback

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from afgap.cli.app import app
from afgap.cli.console import err_console
from afgap.cli.options import INVOCATION
from afgap.errors import AfgapError, Interrupted

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Run the afgap CLI and exit with its code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    INVOCATION.set(tuple(args))
    sys.exit(_run(args, debug))


def _run(args: list[str], debug: bool) -> int:
    try:
        result = typer.main.get_command(app).main(args=args, prog_name="afgap", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except TyperException as exc:  # usage errors from the parser (typer vendors click's)
        return _usage_error(exc)
    except AfgapError as exc:
        _error(str(exc))
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        _error(
            str(Interrupted("interrupted: every completed call is stored; rerun the same command to resume"))
        )
        return Interrupted.exit_code
    except Exception as exc:  # a bug: short message, full traceback only when asked
        if debug:
            traceback.print_exc()
        _error(f"internal error ({type(exc).__name__}): {exc}; rerun with --debug for the traceback")
        return 1
    return result if isinstance(result, int) else 0


def _usage_error(exc: TyperException) -> int:
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # `afgap` or `afgap sim` alone: show the help
        sys.stdout.write(exc.format_message() + "\n")
        return 0
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    _error(exc.format_message() + hint)
    return int(getattr(exc, "exit_code", 2))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error(message: str) -> None:
    # Messages may quote user input (model names, file contents): escape it so rich shows it literally.
    err_console().print(f"[bold red]afgap: error:[/] {escape(_ANSI.sub('', message))}", soft_wrap=True)
