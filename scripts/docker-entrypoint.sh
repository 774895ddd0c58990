#!/usr/bin/env bash
# Container entry point: check the configuration, optionally migrate
# (MIGRATE=1; demo accounts too when DEMO_PASSWORD is set), render the
# Kore configuration from the environment and become the server.
#
# Environment: DATABASE_URL, NGAN_JWT_KEY (PEM path), NGAN_PII_KEY (64 hex)
# required; PORT (8080), BIND_ADDR (0.0.0.0 in the image), WORKERS (2),
# PG_CONNS (8), RUNDIR (/run/ngan), MIGRATE, MIGRATE_DATABASE_URL (defaults
# to DATABASE_URL), DEMO_PASSWORD, NGAN_JWT_PREVIOUS_KEYS, NGAN_ACCESS_TTL,
# NGAN_REFRESH_TTL.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

: "${DATABASE_URL:?DATABASE_URL is required}"
: "${NGAN_JWT_KEY:?NGAN_JWT_KEY (path to the ES256 private key PEM) is required}"
: "${NGAN_PII_KEY:?NGAN_PII_KEY (64 hex characters) is required}"
[ -r "$NGAN_JWT_KEY" ] || die "NGAN_JWT_KEY: cannot read $NGAN_JWT_KEY"
[[ $NGAN_PII_KEY =~ ^[0-9a-fA-F]{64}$ ]] || die "NGAN_PII_KEY must be 64 hex characters"

PORT=${PORT:-8080}
rundir=${RUNDIR:-/run/ngan}
mkdir -p "$rundir"

if [ "${MIGRATE:-0}" = 1 ]; then
	demo=()
	if [ -n "${DEMO_PASSWORD:-}" ]; then
		demo=(--demo "$(printf %s "$DEMO_PASSWORD" | build/ngan-passwd)")
	fi
	bash scripts/migrate.sh "${MIGRATE_DATABASE_URL:-$DATABASE_URL}" "${demo[@]}"
fi
unset DEMO_PASSWORD MIGRATE_DATABASE_URL

render_conf conf/ngan.conf.in "$rundir/ngan.conf" "$PORT" \
    "${WORKERS:-2}" "${PG_CONNS:-8}" "$PWD/build/ngan.so" \
    "${BIND_ADDR:-127.0.0.1}" "$rundir/kore.pid"
export DATABASE_URL NGAN_JWT_KEY NGAN_PII_KEY
export NGAN_OPENAPI=${NGAN_OPENAPI:-$PWD/openapi.yaml}
exec kore -f -n -r -c "$rundir/ngan.conf"
