-- Which of these comment keys (a JSON array) are already stored.
SELECT comment_key FROM comments WHERE comment_key IN ({{ sql.json_text_elements(':keys') }})
