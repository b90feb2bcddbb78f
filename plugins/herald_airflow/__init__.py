"""Herald's Airflow layer: hooks, task bridges and setup. Domain logic stays in ``herald`` (include/)."""
