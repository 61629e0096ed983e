"""Read commands work on a store afgap may not write; writing commands say it is read-only, exit 2."""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from afgap.store import database

READ_ONLY = "is read-only (the file or its directory cannot be written) and this command writes to it"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _collected(cli: Any, db: Path) -> None:
    assert cli("collect", "-m", "sim/faker", "--limit", "4", "--quiet", "--db", str(db)).exit_code == 0


def test_a_foreign_file_is_refused_by_status_and_left_as_it_was(cli: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE x (id INTEGER)")
    before = _digest(other)
    for command in ("status", "collect"):
        args = ("-m", "sim/faker", "--limit", "1") if command == "collect" else ()
        result = cli(command, *args, "--db", str(other))
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
        assert "not an afgap store (tables: ['x'])" in result.stderr
    assert _digest(other) == before and sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_read_commands_read_a_store_they_cannot_write(
    cli: Any, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _collected(cli, db)
    before = _digest(db)
    monkeypatch.setattr(database, "_writable", lambda _path: False)  # root writes past any chmod
    status = cli("status", "--db", str(db), "--format", "json")
    assert status.exit_code == 0, status.stderr
    assert [row["responses"] for row in status.json()["rows"]] == [8]
    assert cli("runs", "--db", str(db), "--format", "json").exit_code == 0
    compare = cli("compare", "--db", str(db), "--format", "json")
    assert compare.exit_code == 0, compare.stderr
    assert compare.json()["models"][0]["model"] == "sim/faker"
    export = cli("export", "--db", str(db))
    assert export.exit_code == 0 and len(export.stdout.splitlines()) == 8
    dry = cli("collect", "-m", "sim/faker", "--limit", "5", "--dry-run", "--db", str(db))
    assert dry.exit_code == 0 and "2 to send" in dry.stderr
    assert _digest(db) == before


@pytest.mark.parametrize(
    "args", [("collect", "-m", "sim/faker", "--limit", "5"), ("classify",), ("import", "in.jsonl")]
)
def test_a_writing_command_on_a_read_only_store_is_one_line_and_exit_2(
    cli: Any, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    _collected(cli, db)
    export = cli("export", "--db", str(db))
    (tmp_path / "in.jsonl").write_text(export.stdout)
    before = _digest(db)
    monkeypatch.setattr(database, "_writable", lambda _path: False)
    result = cli(*args, "--db", str(db))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and READ_ONLY in result.stderr.replace("\n", "")
    assert _digest(db) == before


def _can_mount_read_only(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    where = shlex.quote(str(folder))
    probe = f"mount --bind {where} {where} && mount -o remount,ro,bind {where}"
    return subprocess.run(["unshare", "-m", "sh", "-c", probe], capture_output=True).returncode == 0


def test_on_a_read_only_file_system_reads_work_and_writes_say_so(cli: Any, db: Path, tmp_path: Path) -> None:
    """A real read-only mount (which stops root too): no -shm can be made beside the store."""
    if not _can_mount_read_only(tmp_path):
        pytest.skip("needs unshare and mount (a private read-only bind mount)")
    _collected(cli, db)
    afgap, where, db_arg = (
        f"{shlex.quote(sys.executable)} -m afgap",
        shlex.quote(str(tmp_path)),
        shlex.quote(str(db)),
    )
    script = (
        f"mount --bind {where} {where} && mount -o remount,ro,bind {where} && "
        f"{afgap} status --db {db_arg} --format json && {afgap} export --db {db_arg} >/dev/null && "
        f"{afgap} compare --db {db_arg} --format json >/dev/null && "
        f"{afgap} collect -m sim/faker --limit 5 --quiet --db {db_arg}"
    )
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert [row["responses"] for row in json.loads(result.stdout)["rows"]] == [8]
    assert result.stderr.strip().splitlines()[-1].startswith("afgap: error: store")
    assert READ_ONLY in result.stderr
