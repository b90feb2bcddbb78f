-- Bulk load of scale-world publishing-log rows (CSV in the column order of insert_scale_published_items.sql).
COPY published_items (item_id, account_id, platform, origin, platform_item_id, operator_id, is_mass_send,
                      published_at, platform_status) FROM STDIN WITH (FORMAT csv)
