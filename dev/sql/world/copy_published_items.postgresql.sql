-- Bulk load of published_items rows (CSV in the column order of insert_published_items.sql).
COPY published_items (item_id, post_id, account_id, platform, origin, platform_item_id, platform_publish_id, url, operator_id, is_mass_send, published_at, confirmed_at, platform_status, status_checked_at) FROM STDIN WITH (FORMAT csv)
