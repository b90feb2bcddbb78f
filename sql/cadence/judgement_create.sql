-- The PUB-5 judgement of one scan, per account and block of weeks (sql/cadence/weekly_judge.sql), before it
-- becomes findings and cadence_lapse_state. Lives as long as the connection; each scan empties it first.
-- The *_bits are the block's state after the scan (the report weeks judged now, the rest as recorded);
-- compose_bits are the weeks whose finding is written, gone_bits those whose finding is resolved.
CREATE TEMP TABLE IF NOT EXISTS cadence_judgement (
    policy_id      TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    block          INTEGER NOT NULL,
    report_bits    BIGINT NOT NULL,
    lapse_bits     BIGINT NOT NULL,
    high_bits      BIGINT NOT NULL,
    thin_bits      BIGINT NOT NULL,
    stale_bits     BIGINT NOT NULL,
    basis          TEXT NOT NULL,
    compose_bits   BIGINT NOT NULL,
    gone_bits      BIGINT NOT NULL,
    state_changed  INTEGER NOT NULL
)
