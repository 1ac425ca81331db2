"""Versioned schema of the run store. Append a migration; never edit a shipped one.

Each migration is (version, description, SQL script). ``RunStore`` applies the ones
whose version is above ``PRAGMA user_version`` in one transaction each.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "runs, artifacts, gates, team state, steps",
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            status TEXT NOT NULL,          -- running | awaiting_approval | escalated | published | failed | rejected
            stage TEXT NOT NULL,           -- where the flow stands (see agents.flow.Stage)
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            video_path TEXT,
            transcript_path TEXT,
            error TEXT,
            options TEXT NOT NULL DEFAULT '{}'   -- JSON: platforms override, auto-approve, ...
        );
        CREATE INDEX runs_channel ON runs(channel, status);
        CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            kind TEXT NOT NULL,            -- ranked_topics | script | video | qa_report | policy_report | schedule | ...
            version INTEGER NOT NULL,
            data TEXT NOT NULL,            -- JSON
            created_at TEXT NOT NULL,
            UNIQUE(run_id, kind, version)
        );
        CREATE TABLE gates (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            gate TEXT NOT NULL,            -- script | publish | escalation | budget
            subject TEXT NOT NULL DEFAULT '',  -- what is being approved, e.g. script:v2 or video:v1
            status TEXT NOT NULL,          -- pending | approved | rejected | edited
            summary TEXT NOT NULL DEFAULT '',
            reason TEXT,
            requested_at TEXT NOT NULL,
            decided_at TEXT
        );
        CREATE TABLE team_state (
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            seq INTEGER NOT NULL,
            state TEXT NOT NULL,           -- JSON from team.save_state()
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        CREATE TABLE steps (
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            step TEXT NOT NULL,
            status TEXT NOT NULL,          -- started | done | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            started_at TEXT,
            finished_at TEXT,
            error TEXT,
            PRIMARY KEY (run_id, step)
        );
        """,
    ),
    (
        2,
        "generation attempts, content-addressed assets, cost ledger",
        """
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT,
            item TEXT NOT NULL,            -- e.g. shot-3, voice-1
            provider TEXT NOT NULL,
            model TEXT,
            cache_key TEXT,
            status TEXT NOT NULL,          -- started | succeeded | failed
            failure_class TEXT,            -- transient | safety_input | bad_output | invalid_input | auth | budget
            error TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE TABLE assets (
            cache_key TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT,
            params TEXT NOT NULL,          -- JSON of every parameter that changes the output
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            cost_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE ledger (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT,
            channel TEXT NOT NULL,
            provider TEXT NOT NULL,
            item TEXT,
            cache_key TEXT,
            units REAL NOT NULL,
            unit TEXT NOT NULL,            -- seconds | credits | characters | ...
            usd_estimate REAL NOT NULL,
            usd_actual REAL,
            status TEXT NOT NULL,          -- reserved | settled | released
            used INTEGER NOT NULL DEFAULT 0,  -- 1 when the output went into a video
            created_at TEXT NOT NULL,
            settled_at TEXT
        );
        CREATE INDEX ledger_channel_day ON ledger(channel, created_at);
        """,
    ),
    (
        3,
        "uploads (exactly-once publishing) and performance records",
        """
        CREATE TABLE uploads (
            idempotency_key TEXT PRIMARY KEY,
            run_id TEXT NOT NULL,
            platform TEXT NOT NULL,
            account TEXT NOT NULL,
            video_sha256 TEXT NOT NULL,
            status TEXT NOT NULL,          -- intent | uploading | processing | published | scheduled | deferred | failed
            session_uri TEXT,
            bytes_sent INTEGER NOT NULL DEFAULT 0,
            platform_id TEXT,
            url TEXT,
            scheduled_at TEXT,
            detail TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX uploads_run ON uploads(run_id);
        CREATE TABLE performance (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            platform TEXT NOT NULL,
            platform_id TEXT NOT NULL,
            run_id TEXT,
            metrics TEXT NOT NULL,         -- JSON: views, avg_view_duration_s, avg_pct_viewed, likes, ...
            source TEXT NOT NULL,          -- studio_csv | analytics_api | instagram_insights | import
            imported_at TEXT NOT NULL,
            UNIQUE(channel, platform, platform_id, source)
        );
        """,
    ),
    (
        4,
        "generation: vendor task id and ledger entry on each attempt (resume polling after a crash)",
        """
        ALTER TABLE attempts ADD COLUMN vendor_task_id TEXT;
        ALTER TABLE attempts ADD COLUMN ledger_id INTEGER;
        CREATE INDEX attempts_key ON attempts(cache_key, status);
        CREATE INDEX ledger_key ON ledger(cache_key, status);
        """,
    ),
]

MIGRATIONS.append((
    5,
    "publishing: resumable sessions, quota events, video fingerprints, and upload leases between processes",
    """
    CREATE TABLE IF NOT EXISTS publish_sessions (
        idempotency_key TEXT PRIMARY KEY,
        state TEXT NOT NULL DEFAULT '{}',
        request TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS quota_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        platform TEXT NOT NULL,
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        units INTEGER NOT NULL DEFAULT 1,
        at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS quota_events_lookup ON quota_events(platform, account, kind, at);
    CREATE TABLE IF NOT EXISTS video_fingerprints (
        channel TEXT NOT NULL,
        video_sha256 TEXT NOT NULL,
        run_id TEXT,
        frame_hashes TEXT NOT NULL,
        script_text TEXT NOT NULL DEFAULT '',
        published_at TEXT NOT NULL,
        PRIMARY KEY (channel, video_sha256)
    );
    CREATE TABLE upload_leases (
        idempotency_key TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        taken_at TEXT NOT NULL
    );
    """,
))

MIGRATIONS.append((
    6,
    "run leases (one process drives a run), and what the human decided at each gate",
    """
    CREATE TABLE IF NOT EXISTS run_leases (
        name TEXT PRIMARY KEY,         -- run:<run_id> or channel:<name> (choosing or creating a run)
        holder TEXT NOT NULL,          -- host:pid:token of the process that holds it
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        heartbeat_at REAL NOT NULL,    -- unix time of the holder's last heartbeat
        expires_at REAL NOT NULL       -- past this without a heartbeat, the holder is presumed dead
    );
    ALTER TABLE gates ADD COLUMN decision TEXT;          -- approved | rejected | edited | retry | new_topic | abandon
    ALTER TABLE gates ADD COLUMN artifact_seq INTEGER;   -- the run's last artifact id when the human decided
    """,
))

LATEST = MIGRATIONS[-1][0]
