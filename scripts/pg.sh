#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for development and tests.
#
#   pg.sh init   DIR PORT [ENVFILE]  create cluster, role and database `ngan`;
#                                    leaves it running; writes credentials
#                                    to ENVFILE (stdout if none)
#   pg.sh start  DIR PORT            start (no-op when running)
#   pg.sh stop   DIR PORT            fast shutdown (no-op when stopped)
#   pg.sh status DIR PORT            exit 0 when running, 3 when not
#
# DIR holds data/ (PGDATA, with postgresql.log) and run/ (the unix socket).
# Every cluster archives its WAL (archive_mode on) into backup/wal/ of DIR,
# or of NGAN_BACKUP_DIR when set, for scripts/backup.sh (make backup and
# make restore): the settings are written to data/ngan-archive.conf on
# each start, so clusters made before archiving get them too.
# As root the cluster belongs to and runs as `postgres`, so DIR must be
# outside the checkout (postgres may not be able to enter it): use a
# folder from mktemp -d under /tmp. Passwords for init may be given in
# PG_SUPER_PASSWORD and PG_APP_PASSWORD; otherwise they are generated.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: pg.sh init|start|stop|status DIR PORT [ENVFILE]"; }
[ $# -ge 3 ] || usage
cmd=$1 port=$3 envfile=${4:-}
case $port in '' | *[!0-9]*) die "bad port: $port" ;; esac
[ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL 15 not found in $PG_BIN (run scripts/deps.sh)"

# Absolute paths: the cluster owner runs from /.
if [ "$cmd" = init ]; then mkdir -p "$2"; fi
if [ ! -d "$2" ]; then
	# Nothing there: nothing runs, and there is nothing to start.
	case $cmd in
	stop) exit 0 ;;
	status) echo stopped; exit 3 ;;
	*) die "no such folder: $2" ;;
	esac
fi
dir=$(cd "$2" && pwd -P)
data=$dir/data
sock=$dir/run

pg_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$data" "$@"; }

# Running for real? postmaster.pid can outlive a crash and its pid can be
# recycled, so also check that the process's cwd is our data folder (the
# postmaster chdirs there).
running() {
	local pid
	[ -f "$data/postmaster.pid" ] || return 1
	pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null | tr -dc 0-9)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$data" ]
}

# psql as the superuser over the unix socket (local auth is trust).
su_psql() {
	as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" \
	    -U postgres "$@"
}

# The WAL archive. A segment is copied under a temporary name, flushed,
# then renamed, so the archive never holds half a segment; one already
# there is accepted only if identical (PostgreSQL may archive a segment
# again after a crash). archive_timeout bounds what a lost machine loses
# when little is written; a new segment is started only after activity.
# archive_mode needs a restart: start rewrites the file before it starts
# the server.
archive_conf() {
	local arch f
	arch=$(backup_root "$dir")/wal
	mkdir -p "$arch"
	if is_root; then chown postgres: "$arch" "$(dirname "$arch")"; fi
	chmod 0700 "$arch"
	f="$arch/%f"
	as_pg tee "$data/ngan-archive.conf" >/dev/null <<EOF
# Written by scripts/pg.sh on every start: WAL archive for make backup
# and make restore (scripts/backup.sh). Edit pg.sh, not this file.
archive_mode = on
archive_command = 'if [ -f "$f" ]; then cmp -s "%p" "$f"; else cp "%p" "$f.part" && sync "$f.part" && mv "$f.part" "$f" && sync "$arch"; fi'
archive_timeout = 300
wal_level = replica
EOF
	if ! grep -qx "include_if_exists = 'ngan-archive.conf'" \
	    "$data/postgresql.conf"; then
		printf '%s\n' "" "# ngan (scripts/pg.sh): WAL archive" \
		    "include_if_exists = 'ngan-archive.conf'" |
		    as_pg tee -a "$data/postgresql.conf" >/dev/null
	fi
}

start() {
	[ -f "$data/PG_VERSION" ] || die "no cluster in $dir (run pg.sh init)"
	if running; then
		return 0
	fi
	archive_conf
	if [ -f "$data/postmaster.pid" ]; then
		log "pg: removing stale $data/postmaster.pid"
		rm -f "$data/postmaster.pid"
	fi
	if port_busy "$port"; then
		die "port $port on 127.0.0.1 is already in use by another program; choose another port"
	fi
	# The port is given on each start so the caller's PORT wins.
	if ! pg_ctl -w -t 60 -l "$data/postgresql.log" -o "-p $port" \
	    start >/dev/null; then
		log "pg: start failed; end of $data/postgresql.log:"
		tail -n 20 "$data/postgresql.log" >&2 || true
		exit 1
	fi
}

stop() {
	if [ ! -f "$data/PG_VERSION" ] || ! running; then
		return 0
	fi
	pg_ctl -w -t 60 -m fast stop >/dev/null
}

init() {
	local super_pw=${PG_SUPER_PASSWORD:-} app_pw=${PG_APP_PASSWORD:-}
	local pwfile
	if [ -f "$data/PG_VERSION" ]; then
		log "pg: cluster already exists in $dir"
		start
		return 0
	fi
	[ -n "$super_pw" ] || super_pw=$(rand_password)
	[ -n "$app_pw" ] || app_pw=$(rand_password)

	if is_root; then chown postgres: "$dir"; fi
	as_pg mkdir -p -m 0700 "$data" "$sock"
	pwfile=$(as_pg mktemp "$dir/pw.XXXXXX")
	printf '%s\n' "$super_pw" >"$pwfile"
	as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 \
	    --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
	    --pwfile="$pwfile" >"$dir/initdb.log" 2>&1 || {
		rm -f "$pwfile"
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	}
	rm -f "$pwfile"

	# Later settings win; appended so initdb's defaults stay visible.
	cat >>"$data/postgresql.conf" <<EOF

# ngan (scripts/pg.sh): private loopback cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 128MB
fsync = on
synchronous_commit = on
timezone = 'Asia/Bangkok'
log_timezone = 'Asia/Bangkok'
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
	start

	# The app role owns its database but is no superuser; extensions that
	# migrations need are made here, by the superuser.
	# A failed statement is logged with its text: not this one, which
	# holds the password.
	su_psql -d postgres -v app_pw="$app_pw" <<'EOF'
set log_min_error_statement = panic;
create role ngan login password :'app_pw' nosuperuser nocreatedb nocreaterole;
create database ngan owner ngan encoding 'UTF8' template template0;
EOF
	su_psql -d ngan <<'EOF'
create extension if not exists pg_trgm;
create extension if not exists pgcrypto;
EOF

	local url="postgresql://ngan:$app_pw@127.0.0.1:$port/ngan"
	local admin="postgresql://postgres:$super_pw@127.0.0.1:$port/ngan"
	if [ -n "$envfile" ]; then
		set_env "$envfile" DATABASE_URL "$url"
		set_env "$envfile" NGAN_PG_ADMIN_URL "$admin"
		set_env "$envfile" PG_SUPER_PASSWORD "$super_pw"
		set_env "$envfile" PG_APP_PASSWORD "$app_pw"
	else
		printf 'DATABASE_URL=%q\nNGAN_PG_ADMIN_URL=%q\n' "$url" "$admin"
	fi
}

case $cmd in
init) init ;;
start) start ;;
stop) stop ;;
status)
	if running; then
		echo "running (pid $(head -n 1 "$data/postmaster.pid"), port $port)"
	else
		echo "stopped"
		exit 3
	fi
	;;
*) usage ;;
esac
