-- SQLite: the transaction began with BEGIN IMMEDIATE, which already excludes every other writer.
SELECT 1
