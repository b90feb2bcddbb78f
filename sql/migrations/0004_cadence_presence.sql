-- Cadence scan (issue 6, PUB-5): a per-(account, ISO week) presence table.
-- The daily scan refreshes the weeks of its window from published_items, so the yearly judgement
-- reads about one row per account and week instead of every log row; rebuilding it from the
-- raw log (sql/cadence/presence_refresh) is the reconciliation. Weeks are Monday-to-Sunday in
-- Asia/Shanghai, numbered as herald.timeutil.epoch_to_local_week_index (week 0 starts 1970-01-05).
CREATE TABLE cadence_presence (
    account_id      TEXT NOT NULL,
    week_index      INTEGER NOT NULL,
    live_items      INTEGER NOT NULL,   -- distinct items logged by Herald (dispatch, manual confirmation), live or unknown
    deleted_items   INTEGER NOT NULL,   -- ... later deleted by the account's own operators
    banned_items    INTEGER NOT NULL,   -- ... later banned by the platform
    observed_items  INTEGER NOT NULL,   -- items found on the platform that Herald never dispatched
    refreshed_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (account_id, week_index)
);
CREATE INDEX ix_cadence_presence_week ON cadence_presence (week_index);

-- The daily refresh reads a few weeks of the log by time, across all accounts.
CREATE INDEX ix_published_items_published_at ON published_items (published_at);

-- PUB-1: an item seen on a platform is looked up among the items Herald dispatched on that account.
CREATE INDEX ix_published_items_platform_item ON published_items (account_id, platform_item_id);
