"""Herald: governance pipelines for a corporation's official media accounts.

Plain Python domain package. Nothing here imports Airflow at module level, so
every rule can be tested as a plain function; the DAGs in ``dags/`` and the
hooks in ``plugins/`` only wire these functions to Airflow.
"""

__version__ = "0.1.0"
