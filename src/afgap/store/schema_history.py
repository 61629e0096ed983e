"""The schema's history: every migration ever shipped, in order (store/migrations.py applies them)."""

from __future__ import annotations

# Never edit a shipped migration: append a new one. tests/store pins the resulting schema.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        afgap_version TEXT NOT NULL,
        command TEXT NOT NULL,
        settings TEXT NOT NULL
    );
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        source TEXT NOT NULL,
        request_hash TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        scenario TEXT NOT NULL,
        scenario_hash TEXT NOT NULL,
        query_id TEXT NOT NULL,
        query_text TEXT,
        condition TEXT NOT NULL CHECK (condition IN ('monitored', 'unmonitored')),
        sample INTEGER NOT NULL,
        messages TEXT,
        sampling TEXT,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'unavailable')),
        text TEXT,
        reasoning TEXT,
        provider_model TEXT,
        finish_reason TEXT,
        tokens_in INTEGER,
        tokens_out INTEGER,
        cost_usd REAL,
        latency_s REAL,
        attempts INTEGER NOT NULL DEFAULT 1,
        turns INTEGER NOT NULL DEFAULT 1,
        api_refusal INTEGER NOT NULL DEFAULT 0,
        simulated INTEGER NOT NULL DEFAULT 0,
        error_class TEXT,
        error_message TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX responses_cell ON responses(model, scenario, scenario_hash, query_id, condition, sample);
    CREATE TABLE labels (
        response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
        classifier TEXT NOT NULL,
        strength INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        af_reasoning INTEGER,
        rule TEXT NOT NULL DEFAULT '',
        score REAL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (response_id, classifier)
    );
    CREATE INDEX labels_strength ON labels(response_id, strength);
    """,
    # 2: LLM-judge replies, cached by request hash (resumable), and each label's judge detail (votes).
    """
    CREATE TABLE judge_calls (
        request_hash TEXT PRIMARY KEY,
        response_id INTEGER REFERENCES responses(id) ON DELETE CASCADE,
        judge_model TEXT NOT NULL,
        judge TEXT NOT NULL,
        vote INTEGER NOT NULL,
        retry INTEGER NOT NULL,
        text TEXT NOT NULL,
        tokens_in INTEGER,
        tokens_out INTEGER,
        cost_usd REAL,
        simulated INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX judge_calls_response ON judge_calls(response_id);
    ALTER TABLE labels ADD COLUMN detail TEXT;
    """,
    # 3: the messages sent, stored once per distinct conversation instead of once per response (a run
    # repeats each prompt for every sample and model: 10,000 responses carried 45 MB of copies). The old
    # column stays, emptied: dropping a column needs SQLite 3.35, which some supported systems lack.
    """
    CREATE TABLE prompts (
        id INTEGER PRIMARY KEY,
        messages TEXT NOT NULL UNIQUE
    );
    ALTER TABLE responses ADD COLUMN prompt_id INTEGER REFERENCES prompts(id);
    INSERT OR IGNORE INTO prompts (messages) SELECT messages FROM responses WHERE messages IS NOT NULL;
    UPDATE responses SET prompt_id = (SELECT id FROM prompts WHERE prompts.messages = responses.messages),
        messages = NULL WHERE messages IS NOT NULL;
    """,
    # 4: collects running at once on one store split the work: each claims the calls it will send
    # (store/claims.py), and says who it is so a later collect can tell a live claim from a dead one's.
    """
    CREATE TABLE collectors (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id),
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        process_start TEXT,
        heartbeat_at TEXT NOT NULL
    );
    CREATE TABLE claims (
        request_hash TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES collectors(run_id) ON DELETE CASCADE
    );
    CREATE INDEX claims_run ON claims(run_id);
    """,
    # 5: designs beyond two framings. `responses` is rebuilt without its CHECK on the two classic condition
    # names (SQLite cannot drop a CHECK; writes check names instead), every column, row, id and other
    # constraint kept; foreign keys are off meanwhile (see migrate) so no label or judge call cascades
    # away. `designs` keeps each collected scenario version's conditions, reference and levels.
    """
    CREATE TABLE responses_new (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        source TEXT NOT NULL,
        request_hash TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        scenario TEXT NOT NULL,
        scenario_hash TEXT NOT NULL,
        query_id TEXT NOT NULL,
        query_text TEXT,
        condition TEXT NOT NULL,
        sample INTEGER NOT NULL,
        messages TEXT,
        sampling TEXT,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'unavailable')),
        text TEXT,
        reasoning TEXT,
        provider_model TEXT,
        finish_reason TEXT,
        tokens_in INTEGER,
        tokens_out INTEGER,
        cost_usd REAL,
        latency_s REAL,
        attempts INTEGER NOT NULL DEFAULT 1,
        turns INTEGER NOT NULL DEFAULT 1,
        api_refusal INTEGER NOT NULL DEFAULT 0,
        simulated INTEGER NOT NULL DEFAULT 0,
        error_class TEXT,
        error_message TEXT,
        created_at TEXT NOT NULL,
        prompt_id INTEGER REFERENCES prompts(id)
    );
    INSERT INTO responses_new SELECT * FROM responses;
    DROP TABLE responses;
    ALTER TABLE responses_new RENAME TO responses;
    CREATE INDEX responses_cell ON responses(model, scenario, scenario_hash, query_id, condition, sample);
    CREATE TABLE designs (
        scenario_hash TEXT PRIMARY KEY,
        scenario TEXT NOT NULL,
        conditions TEXT NOT NULL,
        reference TEXT NOT NULL,
        levels TEXT NOT NULL
    );
    """,
    # 6: anti-lab choices (did the model take the offered chance to copy its weights out?), one per
    # response and classifier, beside the compliance labels: an anti-lab response has no compliance.
    """
    CREATE TABLE anti_lab_labels (
        response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
        classifier TEXT NOT NULL,
        strength INTEGER NOT NULL,
        choice TEXT NOT NULL CHECK (choice IN ('exfiltrate', 'decline', 'unclear')),
        rule TEXT NOT NULL DEFAULT '',
        score REAL,
        detail TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (response_id, classifier)
    );
    CREATE INDEX anti_lab_labels_strength ON anti_lab_labels(response_id, strength);
    """,
    # 7: offline batch files (`afgap batch export|import`): every request line written, keyed by its custom
    # id, with the plan it belongs to (its messages stored once, in `prompts`), so an import takes only
    # replies to this store's own requests; a reply that stops inside the scratchpad adds its continuation
    # turn here, with the turns so far as `state`.
    """
    CREATE TABLE batch_exports (
        custom_id TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        turn INTEGER NOT NULL,
        model TEXT NOT NULL,
        scenario TEXT NOT NULL,
        scenario_hash TEXT NOT NULL,
        query_id TEXT NOT NULL,
        condition TEXT NOT NULL,
        sample INTEGER NOT NULL,
        query_text TEXT,
        plan TEXT NOT NULL,
        prompt_id INTEGER NOT NULL REFERENCES prompts(id),
        state TEXT,
        exported_at TEXT NOT NULL,
        imported_at TEXT
    );
    CREATE INDEX batch_exports_hash ON batch_exports(request_hash);
    """,
    # 8: prompt caching. The parts of tokens_in the provider billed as cache writes and cache reads, so a
    # call's cost can be checked against its usage; NULL where the provider did not say (older rows too).
    """
    ALTER TABLE responses ADD COLUMN cache_write_tokens INTEGER;
    ALTER TABLE responses ADD COLUMN cache_read_tokens INTEGER;
    """,
    # 9: batches submitted to a provider's batch API (`collect --batch`), recorded before they are
    # polled, so a rerun polls them again instead of submitting (and paying for) the same calls twice.
    """
    CREATE TABLE provider_batches (
        batch_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        request_hashes TEXT NOT NULL,
        PRIMARY KEY (provider, batch_id)
    );
    """,
    # 10: an imported response's request hash becomes a short stand-in, `import:<id>`, instead of its cell
    # spelled out as JSON, which the hash's unique index stored a second time (about 100 of a response's
    # 500 bytes); an import now finds a cell it already holds through the cell index (store/imports.py).
    """
    UPDATE responses SET request_hash = 'import:' || id WHERE source = 'import';
    """,
    # 11: a compact row per response. The strings a response repeats (model, provider, scenario and its
    # hash, query id, condition, and its time, shared by a whole import or a committed batch) are stored
    # once in `names` and referred to by id in `response_rows` (no foreign key: names are never deleted,
    # and checking seven keys per row would slow a bulk import); an imported response keeps no request hash
    # (its stand-in `import:<id>` is derived), so the hash's unique index holds collected calls only.
    # `responses` becomes a view with the old columns, so every reader is unchanged; writers write
    # `response_rows`. `labels` keeps one B-tree (WITHOUT ROWID): its key (response_id, classifier) serves
    # the lookups the dropped (response_id, strength) index did. Renaming first moves the other tables'
    # foreign keys onto `response_rows`.
    """
    CREATE TABLE names (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL UNIQUE
    );
    INSERT OR IGNORE INTO names (text)
        SELECT model FROM responses UNION SELECT provider FROM responses UNION SELECT scenario FROM responses
        UNION SELECT scenario_hash FROM responses UNION SELECT query_id FROM responses
        UNION SELECT condition FROM responses UNION SELECT created_at FROM responses;
    ALTER TABLE responses RENAME TO response_rows;
    CREATE TABLE response_rows_new (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        source TEXT NOT NULL,
        request_hash TEXT,
        model_ref INTEGER NOT NULL,
        provider_ref INTEGER NOT NULL,
        scenario_ref INTEGER NOT NULL,
        scenario_hash_ref INTEGER NOT NULL,
        query_ref INTEGER NOT NULL,
        condition_ref INTEGER NOT NULL,
        sample INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'unavailable')),
        created_ref INTEGER NOT NULL,
        simulated INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 1,
        turns INTEGER NOT NULL DEFAULT 1,
        api_refusal INTEGER NOT NULL DEFAULT 0,
        query_text TEXT,
        text TEXT,
        reasoning TEXT,
        prompt_id INTEGER REFERENCES prompts(id),
        sampling TEXT,
        provider_model TEXT,
        finish_reason TEXT,
        tokens_in INTEGER,
        tokens_out INTEGER,
        cost_usd REAL,
        latency_s REAL,
        error_class TEXT,
        error_message TEXT,
        cache_write_tokens INTEGER,
        cache_read_tokens INTEGER
    );
    INSERT INTO response_rows_new SELECT r.id, r.run_id, r.source,
        CASE WHEN r.source = 'import' THEN NULL ELSE r.request_hash END,
        m.id, p.id, s.id, h.id, q.id, c.id, r.sample, r.status, t.id, r.simulated, r.attempts,
        r.turns, r.api_refusal, r.query_text, r.text, r.reasoning, r.prompt_id, r.sampling, r.provider_model,
        r.finish_reason, r.tokens_in, r.tokens_out, r.cost_usd, r.latency_s, r.error_class, r.error_message,
        r.cache_write_tokens, r.cache_read_tokens
      FROM response_rows r JOIN names m ON m.text = r.model JOIN names p ON p.text = r.provider
        JOIN names s ON s.text = r.scenario JOIN names h ON h.text = r.scenario_hash
        JOIN names q ON q.text = r.query_id JOIN names c ON c.text = r.condition
        JOIN names t ON t.text = r.created_at;
    DROP TABLE response_rows;
    ALTER TABLE response_rows_new RENAME TO response_rows;
    CREATE UNIQUE INDEX response_rows_hash ON response_rows(request_hash) WHERE request_hash IS NOT NULL;
    CREATE INDEX response_rows_cell
        ON response_rows(model_ref, scenario_ref, scenario_hash_ref, query_ref, condition_ref, sample);
    CREATE VIEW responses AS SELECT r.id, r.run_id, r.source,
        COALESCE(r.request_hash, 'import:' || r.id) AS request_hash, m.text AS model, p.text AS provider,
        s.text AS scenario, h.text AS scenario_hash, q.text AS query_id, r.query_text,
        c.text AS condition, r.sample, NULL AS messages, r.sampling, r.status, r.text, r.reasoning,
        r.provider_model, r.finish_reason, r.tokens_in, r.tokens_out, r.cost_usd, r.latency_s, r.attempts,
        r.turns, r.api_refusal, r.simulated, r.error_class, r.error_message, t.text AS created_at,
        r.prompt_id, r.cache_write_tokens, r.cache_read_tokens
      FROM response_rows r JOIN names m ON m.id = r.model_ref JOIN names p ON p.id = r.provider_ref
        JOIN names s ON s.id = r.scenario_ref JOIN names h ON h.id = r.scenario_hash_ref
        JOIN names q ON q.id = r.query_ref JOIN names c ON c.id = r.condition_ref
        JOIN names t ON t.id = r.created_ref;
    CREATE TABLE labels_new (
        response_id INTEGER NOT NULL REFERENCES response_rows(id) ON DELETE CASCADE,
        classifier TEXT NOT NULL,
        strength INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        af_reasoning INTEGER,
        rule TEXT NOT NULL DEFAULT '',
        score REAL,
        created_at TEXT NOT NULL,
        detail TEXT,
        PRIMARY KEY (response_id, classifier)
    ) WITHOUT ROWID;
    INSERT INTO labels_new SELECT response_id, classifier, strength, outcome, af_reasoning, rule, score,
        created_at, detail FROM labels;
    DROP TABLE labels;
    ALTER TABLE labels_new RENAME TO labels;
    """,
    # 12: the outcome counts kept for compare (store/count_summary.py). A store that holds responses
    # starts with them stale: the first writing command to close it groups them.
    """
    CREATE TABLE count_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        fresh INTEGER NOT NULL,
        kept INTEGER NOT NULL
    );
    INSERT INTO count_state VALUES (1, NOT EXISTS (SELECT 1 FROM response_rows), 1);
    CREATE TABLE cell_counts (
        model_ref INTEGER NOT NULL,
        scenario_ref INTEGER NOT NULL,
        scenario_hash_ref INTEGER NOT NULL,
        query_ref INTEGER NOT NULL,
        condition_ref INTEGER NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        af_reasoning INTEGER,
        classifier TEXT,
        simulated INTEGER NOT NULL,
        count INTEGER NOT NULL,
        first_id INTEGER NOT NULL
    );
    CREATE TRIGGER counts_stale_on_response_insert AFTER INSERT ON response_rows
        WHEN (SELECT fresh FROM count_state) BEGIN UPDATE count_state SET fresh = 0; END;
    CREATE TRIGGER counts_stale_on_response_delete AFTER DELETE ON response_rows
        WHEN (SELECT fresh FROM count_state) BEGIN UPDATE count_state SET fresh = 0; END;
    CREATE TRIGGER counts_stale_on_response_update
        AFTER UPDATE OF id, model_ref, scenario_ref, scenario_hash_ref, query_ref, condition_ref, sample,
            status, simulated ON response_rows
        WHEN (SELECT fresh FROM count_state) BEGIN UPDATE count_state SET fresh = 0; END;
    CREATE TRIGGER counts_stale_on_label_insert AFTER INSERT ON labels
        WHEN (SELECT fresh FROM count_state) BEGIN UPDATE count_state SET fresh = 0; END;
    CREATE TRIGGER counts_stale_on_label_delete AFTER DELETE ON labels
        WHEN (SELECT fresh FROM count_state) BEGIN UPDATE count_state SET fresh = 0; END;
    CREATE TRIGGER counts_stale_on_label_update
        AFTER UPDATE OF response_id, classifier, strength, outcome, af_reasoning ON labels
        WHEN (SELECT fresh FROM count_state) BEGIN UPDATE count_state SET fresh = 0; END;
    """,
    # 13: what a scenario version measures, so an anti-lab scenario brought as a file is classified as one
    # (before, only built-ins were recognised, by name).
    """
    ALTER TABLE designs ADD COLUMN measures TEXT NOT NULL DEFAULT 'compliance'
        CHECK (measures IN ('compliance', 'anti-lab'));
    """,
)
