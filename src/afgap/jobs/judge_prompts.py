"""`--judge-prompt KIND=FILE` and `--judge-format`: read the prompt files a user brings, each checked whole.

Everything is read and compiled before any judge call is sent, so a bad file is one error and nothing is
stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

from afgap.classify.judge_calls import Prompts
from afgap.classify.judges import JUDGES, JudgeName
from afgap.classify.prompt_files import PromptFile, compile_prompt
from afgap.classify.published import FORMAT_KIND, FORMATS, ReplyFormat
from afgap.errors import InputError


def load_judge_prompts(specs: Sequence[str], formats: Sequence[str] = ()) -> Prompts:
    """Each `KIND=FILE` compiled for its judge, in the shape `--judge-format` declares or the text shows."""
    files: dict[JudgeName, Path] = {}
    for spec in specs:
        kind, path = _kind_value(spec, "--judge-prompt", "KIND=FILE")
        if kind in files:
            raise InputError(f"--judge-prompt {kind} is given twice; give one prompt file per judge kind")
        files[kind] = Path(path)
    declared = _formats(formats, files)
    return {kind: _compile(kind, path, declared.get(kind)) for kind, path in files.items()}


def _kind_value(spec: str, option: str, shape: str) -> tuple[JudgeName, str]:
    kind, sep, value = spec.partition("=")
    if not sep or not value:
        raise InputError(f"{option} must be {shape} with KIND one of {', '.join(JUDGES)}, got {spec!r}")
    if kind not in JUDGES:
        raise InputError(f"{option}: unknown judge kind {kind!r}; expected one of {', '.join(JUDGES)}")
    return kind, value


def _formats(formats: Sequence[str], files: dict[JudgeName, Path]) -> dict[JudgeName, ReplyFormat]:
    """`FORMAT` (for the kind it answers; json for every file given) or `KIND=FORMAT`."""
    declared: dict[JudgeName, ReplyFormat] = {}
    for spec in formats:
        if "=" in spec:
            kind, fmt = _kind_value(spec, "--judge-format", "FORMAT or KIND=FORMAT")
            kinds = [kind]
        else:
            fmt = spec
            kinds = list(files) if fmt == "json" else [cast(JudgeName, FORMAT_KIND.get(fmt, ""))]
        if fmt not in FORMATS:
            raise InputError(f"--judge-format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        for kind in kinds:
            if kind not in files:
                raise InputError(
                    f"--judge-format {spec} names no prompt file: add --judge-prompt {kind}=FILE"
                )
            declared[kind] = fmt
    return declared


def _compile(kind: JudgeName, path: Path, fmt: ReplyFormat | None) -> PromptFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--judge-prompt {path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"--judge-prompt {path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"--judge-prompt {path}: cannot read it ({exc.strerror})") from None
    try:
        return compile_prompt(kind, text, fmt)
    except InputError as exc:
        raise InputError(f"--judge-prompt {path}: {exc}") from None
