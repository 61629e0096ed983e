"""The store: one SQLite file per study. The only module with SQL.

Every completed call is committed the moment the writer flushes it, in WAL mode: a crash loses at most
the calls still in flight, never a stored one, and the UNIQUE request hash makes a duplicate impossible.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from afgap import __version__
from afgap.errors import StoreError
from afgap.records import CallRecord, Condition, InterchangeRecord, Label, Outcome
from afgap.store.migrations import SCHEMA_VERSION, migrate
from afgap.store.rows import (
    HASH_COLUMN,
    MESSAGES_COLUMN,
    ResponseRow,
    import_key,
    label_fields,
    response_row,
    timestamp,
)

_EXPECTED_TABLES = {"runs", "responses", "labels"}


@dataclass(frozen=True)
class StoredOutcome:
    """One response as the statistics see it: its cell and its (preferred) label."""

    model: str
    scenario: str
    scenario_hash: str
    query_id: str
    condition: Condition
    sample: int
    outcome: Outcome
    af_reasoning: bool | None
    simulated: bool
    classifier: str | None


@dataclass(frozen=True)
class StoredExample:
    """One answered response with its label, quoted verbatim (and escaped) in reports."""

    model: str
    scenario: str
    condition: Condition
    query_id: str
    query: str | None
    text: str
    outcome: Outcome
    af_reasoning: bool | None


@dataclass(frozen=True)
class Unlabelled:
    """A stored response the classifier should (re)label."""

    response_id: int
    text: str | None
    reasoning: str | None


@dataclass(frozen=True)
class ToJudge:
    """A stored response an LLM judge should read, with the request it answered."""

    response_id: int
    text: str | None
    reasoning: str | None
    query: str | None


@dataclass(frozen=True)
class JudgeCall:
    """One answered judge call, as cached in `judge_calls` (field order = column order)."""

    request_hash: str
    response_id: int | None
    judge_model: str
    judge: str
    vote: int
    retry: int
    text: str
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    simulated: bool


@dataclass(frozen=True)
class LabelPair:
    """Two classifiers' verdicts on the same response (for agreement tables)."""

    first: Outcome
    second: Outcome
    first_af: bool | None
    second_af: bool | None
    first_classifier: str
    second_classifier: str


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def open_store(path: Path, *, create: bool = True) -> Store:
    """Open (and migrate) the store at path; StoreError with one line if it is not usable."""
    if not path.exists():
        if not create:
            raise StoreError(f"no afgap store at {path} (run `afgap collect` or `afgap import` first)")
        if not path.parent.exists():
            raise StoreError(f"cannot create store {path}: directory {path.parent} does not exist")
    elif path.is_dir():
        raise StoreError(f"store path {path} is a directory, not a file")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        _check_is_ours(conn, path)
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable afgap store: {exc}") from None
    return Store(conn, path)


def _check_is_ours(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer afgap (schema {version} > {SCHEMA_VERSION})")
    if version == 0 and tables:
        raise StoreError(f"{path} is an SQLite file but not an afgap store (tables: {sorted(tables)})")
    if version > 0 and not tables >= _EXPECTED_TABLES:
        raise StoreError(f"{path} is missing afgap tables; it may be corrupt")


class Store:
    """A migrated connection with afgap's reads and writes."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._prompt_ids: dict[str, int] = {}  # messages JSON -> prompts.id, for this connection's writes

    def close(self) -> None:
        """Close the connection (WAL content is checkpointed by SQLite)."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- runs -------------------------------------------------------------------------------------
    def start_run(self, command: str, settings: dict[str, Any]) -> int:
        """Record a collect invocation; the command line must already be free of secrets."""
        cur = self.conn.execute(
            "INSERT INTO runs (started_at, afgap_version, command, settings) VALUES (?, ?, ?, ?)",
            (timestamp(), __version__, command, json.dumps(settings, sort_keys=True)),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int) -> None:
        """Stamp a run's end time."""
        self.conn.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (timestamp(), run_id))

    # ---- collection ---------------------------------------------------------------------------------
    def completed_hashes(self) -> set[str]:
        """Request hashes that need no resend: answered, or the model is unavailable."""
        rows = self.conn.execute("SELECT request_hash FROM responses WHERE status IN ('ok', 'unavailable')")
        return {row[0] for row in rows}

    def write_calls(
        self, items: Sequence[tuple[CallRecord, Sequence[Label], str | None]], run_id: int
    ) -> None:
        """Commit finished calls with their labels in one transaction (an errored cell is replaced)."""
        now = timestamp()  # one timestamp per batch: a batch spans at most ~50 ms
        self.write_rows([(response_row(r, run_id, query, now), labels) for r, labels, query in items], now)

    def write_rows(
        self, items: Sequence[tuple[ResponseRow, Sequence[Label]]], now: str | None = None
    ) -> None:
        """write_calls for rows already built by response_row (the collect writer's child process)."""
        if not items:
            return
        now = now or timestamp()
        hashes = [(row[HASH_COLUMN],) for row, _ in items]
        # Labels find their response by its unique request hash, so the whole batch is three executemany.
        label_rows = [
            (row[HASH_COLUMN], *label_fields(label), now) for row, labels in items for label in labels
        ]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            rows = [self._with_prompt_id(row) for row, _ in items]
            self.conn.executemany("DELETE FROM responses WHERE request_hash = ?", hashes)
            self.conn.executemany(_INSERT_RESPONSE, rows)
            self.conn.executemany(_INSERT_LABEL_BY_HASH, label_rows)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._prompt_ids.clear()  # ids of prompts inserted in this transaction are gone
            raise

    def _with_prompt_id(self, row: ResponseRow) -> ResponseRow:
        """The row with its messages' JSON replaced by the id of that conversation in `prompts`."""
        messages = row[MESSAGES_COLUMN]
        if messages is None:
            return row
        prompt_id = self._prompt_ids.get(messages)
        if prompt_id is None:
            self.conn.execute("INSERT OR IGNORE INTO prompts (messages) VALUES (?)", (messages,))
            found = self.conn.execute("SELECT id FROM prompts WHERE messages = ?", (messages,)).fetchone()
            prompt_id = self._prompt_ids[messages] = int(found[0])
        return (*row[:MESSAGES_COLUMN], prompt_id, *row[MESSAGES_COLUMN + 1 :])

    def _write_labels(self, response_id: int, labels: Iterable[Label], now: str | None = None) -> None:
        now = now or timestamp()
        self.conn.executemany(
            """INSERT OR REPLACE INTO labels
               (response_id, classifier, strength, outcome, af_reasoning, rule, score, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [(response_id, *label_fields(label), now) for label in labels],
        )

    # ---- classification -----------------------------------------------------------------------------
    def responses_to_classify(self) -> Iterator[Unlabelled]:
        """Every answered response (status ok), for (re)classification."""
        rows = self.conn.execute("SELECT id, text, reasoning FROM responses WHERE status = 'ok' ORDER BY id")
        for response_id, text, reasoning in rows.fetchall():
            yield Unlabelled(response_id, text, reasoning)

    def write_labels(self, items: Sequence[tuple[int, Label]]) -> None:
        """Store labels beside their responses, replacing the same classifier's older verdicts."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for response_id, label in items:
                self._write_labels(response_id, [label])
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # ---- judges ---------------------------------------------------------------------------------------
    def responses_to_judge(self) -> Iterator[ToJudge]:
        """Every answered response with its query text, for the LLM judges."""
        sql = "SELECT id, text, reasoning, query_text FROM responses WHERE status = 'ok' ORDER BY id"
        for response_id, text, reasoning, query in self.conn.execute(sql).fetchall():
            yield ToJudge(response_id, text, reasoning, query)

    def judge_replies(self, hashes: Sequence[str]) -> dict[str, str]:
        """Stored judge replies for these request hashes (the judge cache)."""
        found: dict[str, str] = {}
        for start in range(0, len(hashes), 500):
            chunk = list(hashes[start : start + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT request_hash, text FROM judge_calls WHERE request_hash IN ({marks})"
            found.update(dict(self.conn.execute(sql, chunk).fetchall()))
        return found

    def write_judge_calls(self, rows: Sequence[JudgeCall]) -> None:
        """Commit answered judge calls; a judge reply never touches the response it judged."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                """INSERT OR REPLACE INTO judge_calls (request_hash, response_id, judge_model, judge, vote,
                     retry, text, tokens_in, tokens_out, cost_usd, simulated, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(*astuple(row), timestamp()) for row in rows],
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def write_judge_labels(self, items: Sequence[tuple[int, Label, str]]) -> None:
        """Store judge labels with their JSON detail (votes, evidence), replacing this judge's older ones."""
        self.write_labels([(response_id, label) for response_id, label, _ in items])
        self.conn.executemany(
            "UPDATE labels SET detail = ? WHERE response_id = ? AND classifier = ?",
            [(detail, response_id, label.classifier) for response_id, label, detail in items],
        )

    def label_pairs(self, first: str, second: str) -> list[LabelPair]:
        """Responses labelled by both classifier families (strongest version of each): their two verdicts."""
        sql = """SELECT a.outcome, b.outcome, a.af_reasoning, b.af_reasoning, a.classifier, b.classifier
                 FROM labels a JOIN labels b ON a.response_id = b.response_id
                 WHERE (a.classifier = ? OR a.classifier LIKE ? OR a.classifier LIKE ?)
                   AND (b.classifier = ? OR b.classifier LIKE ? OR b.classifier LIKE ?)
                 ORDER BY a.response_id"""
        # A family name matches every version (tags@1) and every judge model (judge:openai/gpt-4o@1).
        params = (first, first + "@%", first + ":%", second, second + "@%", second + ":%")
        rows = self.conn.execute(sql, params)
        return [
            LabelPair(Outcome(a), Outcome(b), _bool(af_a), _bool(af_b), ca, cb)
            for a, b, af_a, af_b, ca, cb in rows
        ]

    # ---- reads for reports ----------------------------------------------------------------------------
    def outcomes(
        self, models: Sequence[str] | None = None, classifier: str | None = None
    ) -> list[StoredOutcome]:
        """Every stored response with its preferred label (or the named classifier family's)."""
        label_filter, params = _label_filter(classifier)
        sql = f"""SELECT r.model, r.scenario, r.scenario_hash, r.query_id, r.condition, r.sample, r.status,
                   r.simulated, l.outcome, l.af_reasoning, l.classifier
                  FROM responses r LEFT JOIN labels l ON l.response_id = r.id AND {label_filter}"""
        if models:
            sql += f" WHERE r.model IN ({','.join('?' * len(models))})"
            params += list(models)
        return [_stored_outcome(row) for row in self.conn.execute(sql, params)]

    def examples(
        self, models: Sequence[str] | None = None, classifier: str | None = None, per_outcome: int = 3
    ) -> list[StoredExample]:
        """The first few answered responses per (model, scenario, outcome), for a report to quote."""
        label_filter, params = _label_filter(classifier)
        where = f" AND r.model IN ({','.join('?' * len(models))})" if models else ""
        sql = f"""SELECT model, scenario, condition, query_id, query_text, text, outcome, af FROM (
                    SELECT r.model, r.scenario, r.condition, r.query_id, r.query_text, r.text, l.outcome,
                      l.af_reasoning AS af, ROW_NUMBER() OVER (
                        PARTITION BY r.model, r.scenario, l.outcome ORDER BY r.id) AS k
                    FROM responses r JOIN labels l ON l.response_id = r.id AND {label_filter}
                    WHERE r.status = 'ok' AND r.text IS NOT NULL{where})
                  WHERE k <= ? ORDER BY model, scenario, outcome, k"""
        rows = self.conn.execute(sql, [*params, *(models or []), per_outcome])
        return [
            StoredExample(m, sc, Condition(c), q, qt, t, Outcome(o), None if af is None else bool(af))
            for m, sc, c, q, qt, t, o, af in rows
        ]

    def models(self) -> list[str]:
        """Distinct model strings in the store."""
        return [row[0] for row in self.conn.execute("SELECT DISTINCT model FROM responses ORDER BY model")]

    def summary(self) -> list[tuple[str, str, str, int, float | None]]:
        """(model, scenario, status, count, cost) groups for `afgap status`."""
        # One call of unknown price makes the group's cost unknown: a partial sum would read as the total.
        sql = """SELECT model, scenario, status, COUNT(*),
                   CASE WHEN COUNT(cost_usd) = COUNT(*) THEN SUM(cost_usd) END
                 FROM responses GROUP BY model, scenario, status ORDER BY model, scenario, status"""
        return [tuple(row) for row in self.conn.execute(sql)]

    def runs(self) -> list[tuple[int, str, str | None, str, str, int]]:
        """(id, started, finished, afgap version, command line, responses stored) per collect run."""
        sql = """SELECT r.id, r.started_at, r.finished_at, r.afgap_version, r.command,
                   (SELECT COUNT(*) FROM responses WHERE run_id = r.id)
                 FROM runs r ORDER BY r.id"""
        return [tuple(row) for row in self.conn.execute(sql)]

    # ---- interchange ----------------------------------------------------------------------------------
    def export_records(self) -> Iterator[InterchangeRecord]:
        """Every response as an interchange record, with its preferred label."""
        sql = """SELECT r.model, r.scenario, r.condition, r.query_id, r.sample, r.query_text, r.text,
                   r.status, r.simulated, l.outcome, l.af_reasoning
                 FROM responses r LEFT JOIN labels l ON l.response_id = r.id
                   AND l.strength = (SELECT MAX(strength) FROM labels WHERE response_id = r.id)
                 ORDER BY r.id"""
        for row in self.conn.execute(sql):
            model, scenario, condition, query_id, sample, query, text, status, simulated, outcome, af = row
            yield InterchangeRecord(
                model=model, scenario=scenario, condition=Condition(condition), query_id=query_id,
                sample=sample, query=query, response=text,
                outcome=Outcome(status) if status != "ok" else (Outcome(outcome) if outcome else None),
                af_reasoning=None if af is None else bool(af), simulated=bool(simulated),
            )  # fmt: skip

    def import_records(self, records: Sequence[tuple[InterchangeRecord, Sequence[Label]]]) -> tuple[int, int]:
        """Insert records all-or-nothing; returns (inserted, already present)."""
        inserted = skipped = 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for record, labels in records:
                response_id = self._insert_imported(record)
                if response_id is None:
                    skipped += 1
                    continue
                inserted += 1
                self._write_labels(response_id, labels)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return inserted, skipped

    def _insert_imported(self, record: InterchangeRecord) -> int | None:
        status = record.outcome.value if record.outcome in (Outcome.ERROR, Outcome.UNAVAILABLE) else "ok"
        cur = self.conn.execute(
            # ON CONFLICT covers only the cell's uniqueness: NOT NULL and CHECK violations still raise.
            """INSERT INTO responses (source, request_hash, model, provider, scenario, scenario_hash,
                 query_id, query_text, condition, sample, status, text, simulated, created_at)
               VALUES ('import', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (request_hash) DO NOTHING""",
            (
                import_key(record), record.model, record.model.split("/")[0], record.scenario,
                "import:" + record.scenario, record.query_id, record.query, record.condition.value,
                record.sample, status, record.response, int(record.simulated), timestamp(),
            ),
        )  # fmt: skip
        return int(cur.lastrowid or 0) if cur.rowcount else None


_INSERT_RESPONSE = """INSERT INTO responses (run_id, source, request_hash, model, provider, scenario,
    scenario_hash, query_id, query_text, condition, sample, prompt_id, sampling, status, text, reasoning,
    provider_model, finish_reason, tokens_in, tokens_out, cost_usd, latency_s, attempts, turns,
    api_refusal, simulated, error_class, error_message, created_at)
    VALUES (?, 'collect', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_LABEL_BY_HASH = """INSERT OR REPLACE INTO labels
    (response_id, classifier, strength, outcome, af_reasoning, rule, score, created_at)
    VALUES ((SELECT id FROM responses WHERE request_hash = ?), ?, ?, ?, ?, ?, ?, ?)"""


def _label_filter(classifier: str | None) -> tuple[str, list[Any]]:
    """The JOIN condition picking one label per response: the strongest, or the named classifier's."""
    if classifier:
        # A family name matches its versions (tags@1) and its judge models (judge:sim/judge@1).
        family = "(l.classifier = ? OR l.classifier LIKE ? OR l.classifier LIKE ?)"
        return family, [classifier, classifier + "@%", classifier + ":%"]
    return "l.strength = (SELECT MAX(strength) FROM labels WHERE response_id = r.id)", []


def _stored_outcome(row: tuple[Any, ...]) -> StoredOutcome:
    (
        model,
        scenario,
        scenario_hash,
        query_id,
        condition,
        sample,
        status,
        simulated,
        outcome,
        af,
        classifier,
    ) = row
    # An answered response nobody has classified yet cannot be scored: say so, never guess.
    labelled = Outcome(outcome) if outcome else Outcome.UNPARSEABLE
    resolved = Outcome(status) if status != "ok" else labelled
    return StoredOutcome(
        model=model, scenario=scenario, scenario_hash=scenario_hash, query_id=query_id,
        condition=Condition(condition), sample=sample, outcome=resolved,
        af_reasoning=None if af is None else bool(af), simulated=bool(simulated), classifier=classifier,
    )  # fmt: skip
