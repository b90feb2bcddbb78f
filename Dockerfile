# Herald's Airflow image: the official image plus Herald's pinned requirements.
# The base tag must match `apache-airflow==` in requirements.txt (tests/test_compose.py checks it).
# Code (dags/, plugins/, include/, sql/, config/) is mounted by docker-compose.yaml, not baked in.
FROM apache/airflow:3.3.2-python3.11

# constraints.txt is the full lock frozen from an environment that passed the tests: with it, pip
# cannot silently pick other versions than the ones tested (see airflow-notes, "Install").
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/herald/
RUN pip install --no-cache-dir -r /opt/herald/requirements.txt -c /opt/herald/constraints.txt
