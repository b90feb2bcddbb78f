-- Applications, newest first; :state NULL for every state.
{% include "accounts/_application_select.sql.j2" %}
WHERE (CAST(:state AS TEXT) IS NULL OR ap.state = CAST(:state AS TEXT))
ORDER BY ap.submitted_at DESC, ap.application_id
LIMIT :limit
