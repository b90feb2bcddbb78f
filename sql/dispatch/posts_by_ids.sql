-- The posts of one publish second (:post_ids, a JSON array), as dispatch/post gives one.
{% include "dispatch/_post_select.sql.j2" %}
WHERE p.post_id IN ({{ sql.json_text_elements(':post_ids') }})
ORDER BY p.post_id
