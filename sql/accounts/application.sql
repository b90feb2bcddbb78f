-- One application with its account's registration fields.
{% include "accounts/_application_select.sql.j2" %}
WHERE ap.application_id = :application_id
