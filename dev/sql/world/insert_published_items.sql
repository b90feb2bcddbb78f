-- One published_items row of the demo world (SQLite path of copy_rows, and small inserts).
INSERT INTO published_items (item_id, post_id, account_id, platform, origin, platform_item_id, platform_publish_id, url, operator_id, is_mass_send, published_at, confirmed_at, platform_status, status_checked_at)
VALUES (:item_id, :post_id, :account_id, :platform, :origin, :platform_item_id, :platform_publish_id, :url, :operator_id, :is_mass_send, :published_at, :confirmed_at, :platform_status, :status_checked_at)
