#!/usr/bin/env bash
# Creates Herald's own role and database beside Airflow's in the compose PostgreSQL.
# The postgres image runs /docker-entrypoint-initdb.d/* once, when its data volume is empty.
# The password reaches SQL as a psql variable (:'...' quotes it), never spliced into the text.
set -euo pipefail

: "${HERALD_DB_PASSWORD:?HERALD_DB_PASSWORD must be set on the postgres service}"
herald_user="${HERALD_DB_USER:-herald}"
herald_db="${HERALD_DB_NAME:-herald}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=herald_user="$herald_user" \
    --set=herald_db="$herald_db" \
    --set=herald_password="$HERALD_DB_PASSWORD" <<'EOSQL'
CREATE ROLE :"herald_user" LOGIN PASSWORD :'herald_password';
CREATE DATABASE :"herald_db" OWNER :"herald_user";
-- Only Herald's role (and superusers) may connect to Herald's data.
REVOKE ALL ON DATABASE :"herald_db" FROM PUBLIC;
EOSQL
