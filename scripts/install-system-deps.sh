#!/usr/bin/env bash
# Installs the system packages the tests need, only when they are missing:
# kcat (a third-party Kafka client), a PostgreSQL server, Chromium (the studio's browser
# tests drive Debian's build through Playwright; no browser is downloaded), and docker-compose 1.29 (a Python
# tool that checks docker/compose.yaml without a Docker daemon; no daemon is installed).
set -euo pipefail
missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
