-- A post with what dispatch needs: its account, its staging and its ids.
{% include "dispatch/_post_select.sql.j2" %}
WHERE p.post_id = :post_id
