SELECT item_id, post_id, account_id, platform, origin, platform_item_id, platform_publish_id, url, operator_id,
       is_mass_send, published_at, confirmed_at
FROM published_items
WHERE post_id = :post_id
