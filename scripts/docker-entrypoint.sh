#!/usr/bin/env bash
# Container entry point: check the configuration, optionally migrate
# (MIGRATE=1; demo accounts too when DEMO_PASSWORD is set), render the
# Kore configuration from the environment and become the server.
#
# Environment: DATABASE_URL, NGAN_JWT_KEY (PEM path), NGAN_PII_KEY (64 hex)
# required; PORT (8080), BIND_ADDR (0.0.0.0 in the image), WORKERS (2),
# PG_CONNS (8), RUNDIR (/run/ngan), MIGRATE, MIGRATE_DATABASE_URL (defaults
# to DATABASE_URL), DEMO_PASSWORD, NGAN_JWT_PREVIOUS_KEYS, NGAN_ACCESS_TTL,
# NGAN_REFRESH_TTL, NGAN_PUBLIC_URL (the front's https origin, the OAuth
# issuer; unset, http://127.0.0.1:PORT), NGAN_OUTBOX (1: start the
# outbox's delivery here too; 0: not), NGAN_CERTZIP (the same for the
# builder of certificate ZIPs). Every secret may come from a file instead (Docker and
# Kubernetes secrets): DATABASE_URL_FILE, NGAN_PII_KEY_FILE, PGPASSWORD_FILE,
# MIGRATE_DATABASE_URL_FILE, DEMO_PASSWORD_FILE, NGAN_METRICS_TOKEN_FILE
# name files whose content (trailing newlines stripped) is the value; both
# a variable and its _FILE set is an error. The server gets the _FILE
# variables as they are and reads the files itself, so the values stay
# out of its environment.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

db_url=$(secret DATABASE_URL)
pii_key=$(secret NGAN_PII_KEY)
[ -n "$db_url" ] || die "DATABASE_URL (or DATABASE_URL_FILE) is required"
: "${NGAN_JWT_KEY:?NGAN_JWT_KEY (path to the ES256 private key PEM) is required}"
[ -n "$pii_key" ] || die "NGAN_PII_KEY (or NGAN_PII_KEY_FILE, 64 hex characters) is required"
[ -r "$NGAN_JWT_KEY" ] || die "NGAN_JWT_KEY: cannot read $NGAN_JWT_KEY"
[[ $pii_key =~ ^[0-9a-fA-F]{64}$ ]] || die "NGAN_PII_KEY must be 64 hex characters"

PORT=${PORT:-8080}
rundir=${RUNDIR:-/run/ngan}
mkdir -p "$rundir"

if [ "${MIGRATE:-0}" = 1 ]; then
	migrate_url=$(secret MIGRATE_DATABASE_URL)
	demo_password=$(secret DEMO_PASSWORD)
	demo=()
	if [ -n "$demo_password" ]; then
		demo=(--demo "$(printf %s "$demo_password" | build/ngan-passwd)")
	fi
	# The URL through the environment, not the command line (ps shows
	# that); migrate.sh reads PGPASSWORD(_FILE) and NGAN_PII_KEY(_FILE).
	DATABASE_URL=${migrate_url:-$db_url} DATABASE_URL_FILE='' \
	    bash scripts/migrate.sh "${demo[@]}"
	unset migrate_url demo_password demo
fi
unset DEMO_PASSWORD DEMO_PASSWORD_FILE MIGRATE_DATABASE_URL \
    MIGRATE_DATABASE_URL_FILE db_url pii_key

render_conf conf/ngan.conf.in "$rundir/ngan.conf" "$PORT" \
    "${WORKERS:-2}" "${PG_CONNS:-8}" "$PWD/build/ngan.so" \
    "${BIND_ADDR:-127.0.0.1}" "$rundir/kore.pid"
export NGAN_JWT_KEY
export NGAN_OPENAPI=${NGAN_OPENAPI:-$PWD/openapi.yaml}
# The outbox's delivery (build/ngan-outbox, a process of its own since
# libcurl blocks), started again if it ends; NGAN_OUTBOX=0 leaves it to
# a container of its own (entrypoint build/ngan-outbox). It ends with
# kore (this shell's process once it execs): the loop and the delivery
# each get SIGTERM when their parent ends (setpriv --pdeathsig), so
# nothing outlives kore outside a container either.
if [ "${NGAN_OUTBOX:-1}" = 1 ]; then
	setpriv --pdeathsig TERM bash -c 'while :; do
		setpriv --pdeathsig TERM build/ngan-outbox || true; sleep 1
	done' &
fi
# The builder of certificate ZIPs (build/ngan-certzip), the same way;
# NGAN_CERTZIP=0 leaves it to a container of its own, which must share
# NGAN_CERT_ZIP_DIR (a volume) with this one.
if [ "${NGAN_CERTZIP:-1}" = 1 ]; then
	setpriv --pdeathsig TERM bash -c 'while :; do
		setpriv --pdeathsig TERM build/ngan-certzip || true; sleep 1
	done' &
fi
exec kore -f -n -r -c "$rundir/ngan.conf"
