"""The store's reads: what collection, classification, judging, reports and export ask of it.

Each read returns frozen records (defined here), never raw rows, so no caller depends on a SELECT's
column order.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from afgap.store.rows import DesignRow, stored_design
from afgap.vocabulary import Design, Outcome

if TYPE_CHECKING:  # pydantic-backed: the writer child never imports it (afgap.vocabulary says why)
    from afgap.records import InterchangeRecord

# Host parameters per query: far below SQLite's limit.
_CHUNK = 500


@dataclass(frozen=True)
class StoredOutcome:
    """One response as the statistics see it: its cell and its (preferred) label."""

    model: str
    scenario: str
    scenario_hash: str
    query_id: str
    condition: str
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
    condition: str
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
class LabelPair:
    """Two classifiers' verdicts on the same response (for agreement tables)."""

    first: Outcome
    second: Outcome
    first_af: bool | None
    second_af: bool | None
    first_classifier: str
    second_classifier: str


@dataclass(frozen=True)
class StoredChoice:
    """One response of an anti-lab scenario with its preferred anti-lab choice (None: not classified)."""

    model: str
    scenario: str
    scenario_hash: str
    query_id: str
    condition: str
    sample: int
    status: str
    simulated: bool
    choice: str | None
    classifier: str | None


class Reads:
    """The store's SELECTs; mixed into Store, which owns the connection."""

    conn: sqlite3.Connection

    def completed_hashes(self) -> set[str]:
        """Request hashes that need no resend: answered, or the model is unavailable."""
        # Imported responses have no request to resend: only collected calls keep a hash in the table.
        answered = "status IN ('ok', 'unavailable') AND request_hash IS NOT NULL"
        rows = self.conn.execute(f"SELECT request_hash FROM response_rows WHERE {answered}")
        return {row[0] for row in rows}

    def stored_count(self, hashes: Sequence[str]) -> int:
        """How many of these request hashes have a response stored, whatever its status."""
        found = 0
        for start in range(0, len(hashes), _CHUNK):
            part = list(hashes[start : start + _CHUNK])
            sql = f"SELECT COUNT(*) FROM response_rows WHERE request_hash IN ({','.join('?' * len(part))})"
            found += int(self.conn.execute(sql, part).fetchone()[0])
        return found

    def responses_to_classify(self) -> Iterator[Unlabelled]:
        """Every answered response (status ok), for (re)classification."""
        rows = self.conn.execute("SELECT id, text, reasoning FROM responses WHERE status = 'ok' ORDER BY id")
        for response_id, text, reasoning in rows.fetchall():
            yield Unlabelled(response_id, text, reasoning)

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

    def responses_of_scenarios(self, scenarios: Sequence[str]) -> list[ToJudge]:
        """Every answered response of these scenarios, with its query text (anti-lab classification)."""
        if not scenarios:
            return []
        marks = ",".join("?" * len(scenarios))
        sql = f"""SELECT id, text, reasoning, query_text FROM responses
                  WHERE status = 'ok' AND scenario IN ({marks}) ORDER BY id"""
        return [ToJudge(*row) for row in self.conn.execute(sql, list(scenarios)).fetchall()]

    def scenario_names(self) -> list[str]:
        """The scenario names responses are stored under, sorted."""
        return [row[0] for row in self.conn.execute("SELECT DISTINCT scenario FROM responses ORDER BY 1")]

    def anti_lab_choices(
        self, models: Sequence[str] | None = None, classifier: str | None = None
    ) -> list[StoredChoice]:
        """Every response of a scenario some anti-lab label names, with its strongest (or named) choice."""
        if classifier:
            pick = "(a.classifier = ? OR a.classifier LIKE ? OR a.classifier LIKE ?)"
            params: list[Any] = [classifier, classifier + "@%", classifier + ":%"]
        else:
            pick = "a.strength = (SELECT MAX(strength) FROM anti_lab_labels WHERE response_id = r.id)"
            params = []
        sql = f"""SELECT r.model, r.scenario, r.scenario_hash, r.query_id, r.condition, r.sample, r.status,
                   r.simulated, a.choice, a.classifier
                  FROM responses r LEFT JOIN anti_lab_labels a ON a.response_id = r.id AND {pick}
                  WHERE r.scenario IN (SELECT DISTINCT x.scenario FROM responses x
                                       JOIN anti_lab_labels y ON y.response_id = x.id)"""
        if models:
            sql += f" AND r.model IN ({','.join('?' * len(models))})"
            params += list(models)
        return [
            StoredChoice(m, sc, h, q, c, n, st, bool(sim), ch, cl)
            for m, sc, h, q, c, n, st, sim, ch, cl in self.conn.execute(sql, params)
        ]

    def examples(
        self, models: Sequence[str] | None = None, classifier: str | None = None, per_outcome: int = 3
    ) -> list[StoredExample]:
        """The first few answered responses per (model, scenario, outcome), for a report to quote.

        "First" in query order, not arrival order, so the same store content quotes the same examples.
        """
        label_filter, params = _label_filter(classifier)
        where = f" AND r.model IN ({','.join('?' * len(models))})" if models else ""
        sql = f"""SELECT model, scenario, condition, query_id, query_text, text, outcome, af FROM (
                    SELECT r.model, r.scenario, r.condition, r.query_id, r.query_text, r.text, l.outcome,
                      l.af_reasoning AS af, ROW_NUMBER() OVER (
                        PARTITION BY r.model, r.scenario, l.outcome
                        ORDER BY r.query_id, r.condition, r.sample, r.scenario_hash) AS k
                    FROM responses r JOIN labels l ON l.response_id = r.id AND {label_filter}
                    WHERE r.status = 'ok' AND r.text IS NOT NULL{where})
                  WHERE k <= ? ORDER BY model, scenario, outcome, k"""
        rows = self.conn.execute(sql, [*params, *(models or []), per_outcome])
        return [
            StoredExample(m, sc, c, q, qt, t, Outcome(o), _bool(af)) for m, sc, c, q, qt, t, o, af in rows
        ]

    def models(self) -> list[str]:
        """Distinct model strings in the store."""
        # One probe of the cell index per name, not a scan of every response through the view.
        sql = """SELECT text FROM names n
                 WHERE EXISTS (SELECT 1 FROM response_rows r WHERE r.model_ref = n.id) ORDER BY text"""
        return [row[0] for row in self.conn.execute(sql)]

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

    def run_settings(self) -> list[dict[str, Any]]:
        """The settings each collect run recorded, oldest first (a run without any gives {})."""
        rows = self.conn.execute("SELECT settings FROM runs ORDER BY id").fetchall()
        return [_settings_of(row[0]) for row in rows]

    def read_designs(self) -> dict[str, Design]:
        """The design of every collected scenario version, by scenario hash (imports have none)."""
        found = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'designs'")
        if found.fetchone() is None:
            return {}  # an older, read-only store: only the classic design could be stored in it
        sql = "SELECT scenario_hash, scenario, conditions, reference, levels FROM designs"
        return {row[0]: stored_design(DesignRow(*row)) for row in self.conn.execute(sql)}

    def anti_lab_designs(self) -> list[str]:
        """The scenario names a stored version of which measures anti-lab choices (built-in or a file)."""
        sql = "SELECT DISTINCT scenario FROM designs WHERE measures = 'anti-lab' ORDER BY 1"
        try:
            return [row[0] for row in self.conn.execute(sql)]
        except sqlite3.OperationalError:  # an older, read-only store: only built-ins are recognised
            return []

    def export_records(self) -> Iterator[InterchangeRecord]:
        """Every response as an interchange record, with its preferred label, in cell order (the index's).

        Cell order, not arrival order: two stores with the same responses export the same bytes.
        """
        sql = """SELECT r.model, r.scenario, r.condition, r.query_id, r.sample, r.query_text, r.text,
                   r.status, r.simulated, l.outcome, l.af_reasoning
                 FROM responses r LEFT JOIN labels l ON l.response_id = r.id
                   AND l.strength = (SELECT MAX(strength) FROM labels WHERE response_id = r.id)
                 ORDER BY r.model, r.scenario, r.scenario_hash, r.query_id, r.condition, r.sample"""
        for row in self.conn.execute(sql):
            yield _interchange_record(row)


def _settings_of(text: str | None) -> dict[str, Any]:
    """A run's settings JSON as a dict; anything else (none, or not an object) reads as no settings."""
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _label_filter(classifier: str | None) -> tuple[str, list[Any]]:
    """The JOIN condition picking one label per response: the strongest, or the named classifier's."""
    if classifier:
        # A family name matches its versions (tags@1) and its judge models (judge:sim/judge@1).
        family = "(l.classifier = ? OR l.classifier LIKE ? OR l.classifier LIKE ?)"
        return family, [classifier, classifier + "@%", classifier + ":%"]
    return "l.strength = (SELECT MAX(strength) FROM labels WHERE response_id = r.id)", []


@functools.lru_cache(maxsize=64)  # a handful of (status, label) pairs, met once per stored response
def _resolved(status: str, label: str | None) -> Outcome:
    """A response's outcome: its failure if the call failed, else its label's verdict."""
    if status != "ok":
        return Outcome(status)
    # An answered response nobody has classified yet cannot be scored: say so, never guess.
    return Outcome(label) if label else Outcome.UNPARSEABLE


def _stored_outcome(row: tuple[Any, ...]) -> StoredOutcome:
    model, scenario, scenario_hash, query_id, condition, sample, status, simulated, *label = row
    outcome, af, classifier = label
    af_reasoning = None if af is None else bool(af)
    resolved = _resolved(status, outcome)
    # Positional: this runs once per stored response, a million times for a large store.
    return StoredOutcome(
        model,
        scenario,
        scenario_hash,
        query_id,
        condition,
        sample,
        resolved,
        af_reasoning,
        bool(simulated),
        classifier,
    )


def _interchange_record(row: tuple[Any, ...]) -> InterchangeRecord:
    from afgap.records import InterchangeRecord  # here: only an export needs pydantic

    model, scenario, condition, query_id, sample, query, text, status, simulated, outcome, af = row
    return InterchangeRecord(
        model=model,
        scenario=scenario,
        condition=condition,
        query_id=query_id,
        sample=sample,
        query=query,
        response=text,
        outcome=Outcome(status) if status != "ok" else (Outcome(outcome) if outcome else None),
        af_reasoning=_bool(af),
        simulated=bool(simulated),
    )
