-- One publishing-log row of the scale world (SQLite path of copy_rows, and the executemany baseline).
INSERT INTO published_items (item_id, account_id, platform, origin, platform_item_id, operator_id, is_mass_send,
                             published_at, platform_status)
VALUES (:item_id, :account_id, :platform, :origin, :platform_item_id, :operator_id, :is_mass_send,
        :published_at, :platform_status)
