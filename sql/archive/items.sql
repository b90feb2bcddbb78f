-- Everything the archive files about the given published items (a JSON array of item ids).
SELECT pi.item_id, pi.post_id, pi.account_id, pi.platform, pi.origin, pi.platform_item_id, pi.platform_publish_id,
       pi.url, pi.operator_id, pi.is_mass_send, pi.published_at, pi.confirmed_at, pi.platform_status,
       pi.status_checked_at,
       a.host_unit_id AS org_id, a.name AS account_name, a.platform_account_id,
       op.name AS operator_name,
       p.kind AS post_kind, p.title AS post_title, p.body AS post_body, p.category AS post_category,
       p.source AS post_source, p.media AS post_media, p.publish_at AS post_publish_at, p.urgency AS post_urgency,
       p.content_hash AS post_content_hash, p.release_id AS post_release_id, p.author_id AS post_author_id,
       p.approval_chain AS post_approval_chain, p.policy_id AS post_policy_id, p.policy_sha256 AS post_policy_sha256,
       p.requested_at AS post_requested_at,
       ai.bundle_path AS indexed_bundle_path, ai.manifest_sha256 AS indexed_manifest_sha256,
       ai.index_on AS indexed_on
FROM published_items pi
JOIN accounts a ON a.account_id = pi.account_id
LEFT JOIN posts p ON p.post_id = pi.post_id
LEFT JOIN people op ON op.person_id = pi.operator_id
LEFT JOIN archive_index ai ON ai.item_id = pi.item_id
WHERE pi.item_id IN ({{ sql.json_text_elements(':item_ids') }})
ORDER BY pi.item_id
