-- Archive (issue 5, PUB-4): the day heads of the archive index hash chain.
-- Each filing day's index document lists (item_id, bundle path, manifest sha256) of the bundles filed
-- that day and commits to the previous sealed day's document hash; the documents live in the archive
-- store, their hashes here, so removing or altering a bundle, an entry or a day is detectable.
CREATE TABLE archive_days (
    index_on       DATE PRIMARY KEY,
    entry_count    INTEGER NOT NULL,
    index_path     TEXT NOT NULL,
    index_sha256   TEXT NOT NULL,
    prev_index_on  DATE,
    prev_sha256    TEXT NOT NULL,
    sealed_at      TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX ix_archive_index_day ON archive_index (index_on);
