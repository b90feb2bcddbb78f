"""Writing a generated world into Herald's database, and clearing one out of it.

Every table goes through ``Transaction.copy_rows`` (COPY on PostgreSQL, executemany on SQLite) with
the statements in ``sql/world/``; rows are dicts here and tuples in the files' column order there.
"""

from __future__ import annotations

from collections.abc import Iterable

from herald.db import Transaction

COLUMNS: dict[str, tuple[str, ...]] = {
    "org_units": ("unit_id", "name", "kind", "function_code", "parent_id", "policy_id", "created_at"),
    "people": ("person_id", "name", "unit_id", "title", "office_phone", "mobile", "email", "is_active", "login"),
    "role_assignments": ("assignment_id", "person_id", "role", "unit_id", "account_id", "valid_from_on", "valid_to_on"),
    "accounts": (
        "account_id", "platform", "name", "platform_account_id", "link", "is_verified", "verification_documents",
        "purpose", "content_scope", "creating_unit_id", "host_unit_id", "supervising_leader_id",
        "host_unit_opinion_by", "host_unit_opinion_on", "is_host_unit_sealed", "competent_opinion_by",
        "competent_opinion_on", "level", "parent_account_id", "state", "opened_on", "closed_on", "policy_id",
        "created_at", "updated_at",
    ),
    "account_admins": ("account_id", "person_id"),
    "account_events": ("event_id", "account_id", "kind", "step", "decision", "actor_id", "from_person_id",
                       "to_person_id", "new_state", "occurred_at", "filed_at", "detail"),
    "posts": ("post_id", "release_id", "account_id", "author_id", "kind", "title", "body", "category", "source",
              "media", "publish_at", "urgency", "content_hash", "state", "state_reason", "requested_at", "updated_at"),
    "post_events": ("event_id", "post_id", "state", "reason", "actor_id", "occurred_at"),
    "approval_steps": ("step_id", "post_id", "chain", "step_no", "role", "approver_id", "decision", "reason", "via",
                       "content_hash", "decided_at"),
    "dispatch_attempts": ("attempt_id", "post_id", "attempt_no", "operation", "outcome", "error_code",
                          "error_message", "response", "started_at", "finished_at"),
    "published_items": ("item_id", "post_id", "account_id", "platform", "origin", "platform_item_id",
                        "platform_publish_id", "url", "operator_id", "is_mass_send", "published_at", "confirmed_at",
                        "platform_status", "status_checked_at"),
    "world_ground_truth": ("rule_id", "subject_id", "period", "description"),
}

# Children before parents: the order ``replace=True`` empties the tables in.
CLEAR_ORDER = ("complaint_events", "complaints", "directory_sightings",
               "archive_index", "archive_days", "finding_history", "findings", "idempotency_keys",
               "cadence_lapse_weeks", "cadence_lapse_state", "cadence_week_bits", "cadence_presence", "dispatch_staging", "manual_handoffs",
               "dispatch_attempts", "post_events", "approval_steps", "published_items",
               "posts", "account_events", "account_admins", "role_assignments", "accounts", "people", "org_units",
               "world_ground_truth", "world_builds")


def load(tx: Transaction, table: str, rows: Iterable[dict]) -> int:
    columns = COLUMNS[table]
    return tx.copy_rows(f"world/copy_{table}", f"world/insert_{table}",
                        (tuple(row[c] for c in columns) for row in rows), columns)


def clear(tx: Transaction) -> None:
    for table in CLEAR_ORDER:
        tx.execute(f"world/clear_{table}")


def table_counts(tx: Transaction) -> dict[str, int]:
    row = tx.fetch_one("world/table_counts")
    return {table: int(count) for table, count in row.items()}
