#!/usr/bin/env bash
# make run: a development server on http://127.0.0.1:${PORT:-8080} with its
# own PostgreSQL cluster, demo accounts and dev secrets, all kept in var/
# (gitignored) and re-used on the next run. Ctrl-C stops the server and the
# database. `make stop` cleans up after a run that was killed.
#
# Environment: PORT (8080), WORKERS (2), PG_CONNS (8), BIND_ADDR
# (127.0.0.1), PG_PORT (54329 or a free one, then remembered),
# DEMO_PASSWORD (generated on the first run; the one in effect is kept
# in var/dev.env and used again when unset), NGAN_BACKUP_DIR (where the
# WAL is archived, README "Backups"; kept in var/dev.env too), KEEP_DB=1 (leave the
# database running when the server stops), NGAN_VAR (the folder for all
# of it, var/). It prints the demo password, never the database's:
# DATABASE_URL is in var/dev.env.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
root=$PWD

PORT=${PORT:-8080}
WORKERS=${WORKERS:-2}
PG_CONNS=${PG_CONNS:-8}
BIND_ADDR=${BIND_ADDR:-127.0.0.1}
want_pg_port=${PG_PORT:-}
want_demo=${DEMO_PASSWORD:-}
want_backup=${NGAN_BACKUP_DIR:-}

if [ ! -f build/ngan.so ] || [ ! -x build/ngan-passwd ]; then
	die "build/ngan.so or build/ngan-passwd missing: run make build (make run does)"
fi

var=${NGAN_VAR:-$root/var}
mkdir -p "$var/keys"
var=$(cd "$var" && pwd -P)
chmod 700 "$var"
envfile=$var/dev.env
touch "$envfile"
chmod 600 "$envfile"
load_env "$envfile"
# The WAL archive's folder, remembered for make backup and make restore.
if [ -n "$want_backup" ]; then
	NGAN_BACKUP_DIR=$want_backup
	set_env "$envfile" NGAN_BACKUP_DIR "$NGAN_BACKUP_DIR"
fi
if [ -n "${NGAN_BACKUP_DIR:-}" ]; then export NGAN_BACKUP_DIR; fi

# A server left behind by a run that was killed.
if [ -f "$var/kore.pid" ]; then
	log "run: stopping the server left by an earlier run (pid $(cat "$var/kore.pid"))"
	stop_kore "$var/kore.pid"
fi
stop_outbox "$var/outbox.pid"
stop_certzip "$var/certzip.pid"
if port_busy "$PORT"; then
	die "port $PORT on 127.0.0.1 is busy with another program (not a server of this checkout); stop it or use PORT=... make run"
fi

# Dev secrets, made once. Never in git: var/ is ignored.
# var/dev.env keeps the one the demo accounts get (README, "Try it").
if [ -n "$want_demo" ]; then
	DEMO_PASSWORD=$want_demo
elif [ -z "${DEMO_PASSWORD:-}" ]; then
	DEMO_PASSWORD=$(rand_password | cut -c1-16)
fi
set_env "$envfile" DEMO_PASSWORD "$DEMO_PASSWORD"
if [ -z "${NGAN_PII_KEY:-}" ]; then
	NGAN_PII_KEY=$(rand_hex 32)
	set_env "$envfile" NGAN_PII_KEY "$NGAN_PII_KEY"
fi
if [ ! -s "$var/keys/jwt-current.pem" ]; then
	gen_jwt_key "$var/keys/jwt-current.pem"
fi
[ -n "${PG_SUPER_PASSWORD:-}" ] || {
	PG_SUPER_PASSWORD=$(rand_password)
	set_env "$envfile" PG_SUPER_PASSWORD "$PG_SUPER_PASSWORD"
}
[ -n "${PG_APP_PASSWORD:-}" ] || {
	PG_APP_PASSWORD=$(rand_password)
	set_env "$envfile" PG_APP_PASSWORD "$PG_APP_PASSWORD"
}
if [ -n "$want_pg_port" ]; then
	PG_PORT=$want_pg_port
elif [ -z "${PG_PORT:-}" ]; then
	PG_PORT=54329
	port_busy "$PG_PORT" && PG_PORT=$(free_port)
fi
set_env "$envfile" PG_PORT "$PG_PORT"

# The cluster lives outside the checkout (postgres must be able to reach
# it when we are root); var/pg points at it. A vanished target (a /tmp
# cleaned at boot) gets a new cluster.
# The database stops with the server; KEEP_DB=1 leaves it running.
if [ -L "$var/pg" ] && [ -f "$var/pg/data/PG_VERSION" ]; then
	bash scripts/pg.sh start "$var/pg" "$PG_PORT"
else
	[ ! -e "$var/pg" ] || [ -L "$var/pg" ] || die "$var/pg is not a symlink; remove it"
	pgdir=$(make_pg_dir)
	ln -sfn "$pgdir" "$var/pg"
	log "run: new PostgreSQL cluster in $pgdir ($var/pg), port $PG_PORT"
	PG_SUPER_PASSWORD=$PG_SUPER_PASSWORD PG_APP_PASSWORD=$PG_APP_PASSWORD \
	    bash scripts/pg.sh init "$var/pg" "$PG_PORT" "$envfile"
fi
DATABASE_URL="postgresql://ngan:$PG_APP_PASSWORD@127.0.0.1:$PG_PORT/ngan"
set_env "$envfile" DATABASE_URL "$DATABASE_URL"
set_env "$envfile" NGAN_PG_ADMIN_URL \
    "postgresql://postgres:$PG_SUPER_PASSWORD@127.0.0.1:$PG_PORT/ngan"

stop_db() {
	if [ "${KEEP_DB:-0}" != 1 ]; then
		bash scripts/pg.sh stop "$var/pg" "$PG_PORT" || true
	fi
}

demo_hash=$(printf %s "$DEMO_PASSWORD" | build/ngan-passwd)
# The demo participants are sealed with NGAN_PII_KEY (scripts/migrate.sh).
export DATABASE_URL NGAN_PII_KEY
bash scripts/migrate.sh "$DATABASE_URL" --demo "$demo_hash" || {
	log "run: migrations failed; 'bash scripts/stop.sh --reset' deletes the development database"
	stop_db
	exit 1
}

render_conf conf/ngan.conf.in "$var/ngan.conf" "$PORT" "$WORKERS" \
    "$PG_CONNS" "$root/build/ngan.so" "$BIND_ADDR" "$var/kore.pid"

export NGAN_JWT_KEY=$var/keys/jwt-current.pem
export NGAN_OPENAPI=${NGAN_OPENAPI:-$root/openapi.yaml}
# Development: codes and confirmations go to the log (tools/ngan-outbox.c).
export NGAN_MESSAGES=${NGAN_MESSAGES:-log}
# The server's own default origin, said out loud: ngan-outbox begins the
# ticket links of text messages with it.
export NGAN_PUBLIC_URL=${NGAN_PUBLIC_URL:-http://127.0.0.1:$PORT}
# The demo's events go back to 2017; keep its people (retention, privacy.c).
export NGAN_RETENTION_YEARS=${NGAN_RETENTION_YEARS:-30}

kpid=
shutdown() {
	trap - INT TERM
	log "run: stopping"
	[ -z "$kpid" ] || stop_kore "$var/kore.pid"
	stop_outbox "$var/outbox.pid"
	stop_certzip "$var/certzip.pid"
	stop_db
	exit 0
}
trap shutdown INT TERM

# Own process group (setsid), so stopping it takes the workers along.
# Line-buffered output (stdbuf): kore logs with stdio and forks workers,
# so a block-buffered log would repeat lines when not on a terminal.
setsid stdbuf -oL kore -f -n -r -c "$var/ngan.conf" &
kpid=$!
echo "$kpid" >"$var/kore.pid"

# The outbox's delivery (tools/ngan-outbox.c), a process of its own:
# libcurl blocks, a Kore worker must not. Its lines go where kore's go.
stdbuf -oL build/ngan-outbox &
echo $! >"$var/outbox.pid"
# The builder of certificate ZIPs (tools/ngan-certzip.c), likewise: a
# worker must not draw thousands of PDFs.
stdbuf -oL build/ngan-certzip &
echo $! >"$var/certzip.pid"

url="http://127.0.0.1:$PORT"
# For the README's "Try it" block, which sources var/dev.env.
set_env "$envfile" NGAN_BASE_URL "$url"
if ! wait_http "$url/healthz" 30 "$kpid"; then
	log "run: the server did not answer $url/healthz"
	stop_kore "$var/kore.pid"
	stop_outbox "$var/outbox.pid"
	stop_certzip "$var/certzip.pid"
	stop_db
	exit 1
fi

cat <<EOF

ngan is running at $url  (Ctrl-C stops it and its database)
  database: ngan@127.0.0.1:$PG_PORT/ngan  (DATABASE_URL, password included, is in $envfile)
  demo accounts: admin, organizer, scanner, partner
  demo password: $DEMO_PASSWORD   ($envfile; set DEMO_PASSWORD to choose it)

Get a token:
  curl -s -X POST $url/v1/auth/token -H 'Content-Type: application/json' -d '{"grant_type":"password","username":"admin","password":"$DEMO_PASSWORD"}'
Then:
  TOKEN=\$(curl -s -X POST $url/v1/auth/token -H 'Content-Type: application/json' -d '{"grant_type":"password","username":"admin","password":"$DEMO_PASSWORD"}' | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -s $url/v1/me -H "Authorization: Bearer \$TOKEN"

EOF

# Foreground until kore ends or we are interrupted (the trap exits).
set +e
wait "$kpid"
rc=$?
set -e
log "run: the server exited (status $rc)"
rm -f "$var/kore.pid"
stop_outbox "$var/outbox.pid"
stop_certzip "$var/certzip.pid"
stop_db
exit "$rc"
