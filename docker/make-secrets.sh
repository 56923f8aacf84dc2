#!/usr/bin/env bash
# Write docker/.env with random passwords for Kafka's two principals, PostgreSQL, MinIO's
# root account and the services' MinIO user, Grafana's admin and Grafana's read-only database role (once: an existing file is kept, as the volumes hold data made with it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/.env"
if [[ -e "$target" ]]; then
  echo "$target exists; kept (delete it and the volumes to start afresh)."
  exit 0
fi
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
umask 077
{
  echo "# Made by docker/make-secrets.sh; compose.yaml reads it. Keep it out of version control."
  echo "KAFKA_BROKER_PASSWORD=$(secret)"
  echo "KAFKA_SERVICE_PASSWORD=$(secret)"
  echo "POSTGRES_PASSWORD=$(secret)"
  echo "GRAFANA_ADMIN_PASSWORD=$(secret)"
  echo "MINIO_ROOT_PASSWORD=$(secret)"
  echo "S3_SECRET_ACCESS_KEY=$(secret)"
  echo "GRAFANA_DB_PASSWORD=$(secret)"
} > "$target"
echo "Wrote $target (readable by you only). Grafana: admin / the GRAFANA_ADMIN_PASSWORD there."
