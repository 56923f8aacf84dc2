#!/bin/sh
# Runs once, when PostgreSQL initialises its volume: the role Grafana reads the analytics
# windows with. It may log in and nothing more; `beatstitch analytics` grants it SELECT on the
# two window tables (BEATSTITCH_ANALYTICS_READER_ROLE), never on accounts, tokens or renders.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$GRAFANA_DB_PASSWORD" <<'SQL'
CREATE ROLE grafana_reader LOGIN PASSWORD :'pw';
SQL
