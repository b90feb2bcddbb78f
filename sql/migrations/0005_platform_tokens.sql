-- Platform access tokens, one row per (platform, account): the single token holder.
-- WeChat invalidates the previous token minutes after a new one is fetched, so every
-- worker reads the token here and only the holder of the row lock refreshes it.
-- SEC-1: access_token is a credential; it is stored for sharing, never logged.
CREATE TABLE platform_tokens (
    platform      TEXT NOT NULL,
    account_key   TEXT NOT NULL,               -- WeChat appid, Weibo uid: identifiers, not secrets
    access_token  TEXT,
    expires_at    TIMESTAMP WITH TIME ZONE,
    refreshed_at  TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (platform, account_key)
);
