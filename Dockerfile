# Herald's Airflow image: the official image plus Herald's pinned requirements and the product itself.
# The base tag must match `apache-airflow==` in requirements.txt (tests/test_compose.py checks it).
# Only the product goes in (include/, plugins/, dags/, sql/, config/); the tooling (dev/: demo world, fake
# platforms) and the tests are kept out by .dockerignore. docker-compose.yaml mounts the same folders over
# these copies for local work; an image deployed without the mounts runs what it was built with.
FROM apache/airflow:3.3.2-python3.11

# constraints.txt is the full lock frozen from an environment that passed the tests: with it, pip
# cannot silently pick other versions than the ones tested (see airflow-notes, "Install").
# The audit pack's PDF needs a CJK font (WeasyPrint refuses to render Chinese as boxes: the build fails without one).
USER root
RUN apt-get update && apt-get install -y --no-install-recommends fontconfig fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/herald/
RUN pip install --no-cache-dir -r /opt/herald/requirements.txt -c /opt/herald/constraints.txt

COPY --chown=airflow:0 pyproject.toml /opt/airflow/
COPY --chown=airflow:0 include /opt/airflow/include
COPY --chown=airflow:0 plugins /opt/airflow/plugins
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 sql /opt/airflow/sql
COPY --chown=airflow:0 config /opt/airflow/config
# Editable, so herald finds sql/ beside its source and the mounts of docker-compose.yaml take effect; the
# distribution carries the `apache_airflow_provider` entry point (Herald's connection types in the UI).
RUN pip install --no-cache-dir --no-deps -e /opt/airflow
