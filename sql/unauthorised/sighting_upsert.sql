-- What a scan saw of one platform account: first seen once, last seen each time.
INSERT INTO directory_sightings (
    platform, platform_account_id, screen_name, followers_count, matched_names, unit_id, is_registered,
    first_seen_at, last_seen_at
) VALUES (
    :platform, :platform_account_id, :screen_name, :followers_count, :matched_names, :unit_id, :is_registered,
    :now, :now
)
ON CONFLICT (platform, platform_account_id) DO UPDATE SET
    screen_name = excluded.screen_name,
    followers_count = excluded.followers_count,
    matched_names = excluded.matched_names,
    unit_id = excluded.unit_id,
    is_registered = excluded.is_registered,
    last_seen_at = excluded.last_seen_at
