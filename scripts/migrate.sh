#!/usr/bin/env bash
# Apply the migrations sql/migrations/NNN_*.sql in order, load schema api
# from sql/api/ when it changed, then optionally the demo data.
#
#   migrate.sh [DATABASE_URL] [--demo ARGON2ID_HASH] [--reload]
#
# Without DATABASE_URL as an argument it comes from the environment:
# DATABASE_URL, or DATABASE_URL_FILE naming a file that holds it (Docker
# and Kubernetes secrets); PGPASSWORD_FILE and NGAN_PII_KEY_FILE likewise.
#
# A whole run holds a PostgreSQL advisory lock (session level, on the
# target database), so servers that start together on one new database
# migrate one after the other: the first applies, the next waits, then
# finds everything applied, and the demo data (idempotent) is loaded by
# one run at a time. The lock belongs to a session of its own that lives
# as long as this script; a connection pooler in transaction mode breaks
# session locks, so migrate over a direct connection.
#
# Migrations hold tables, indexes, constraints and data. Each runs in one
# transaction together with its row in schema_migrations, so a failed
# migration leaves no trace. A recorded migration whose file changed since
# (sha256) stops the run: migrations are append-only. (The checksums that
# migrations had before their functions moved to sql/api/ are accepted
# too: sql/migrations/old-checksums.)
#
# Schema api (every function, trigger function, trigger and type, in
# sql/api/<resource>.sql) is code: when the checksum of sql/api/ differs
# from the one recorded in api_checksum, or with --reload, the schema is
# dropped and made again from the files by sql/api/reload.sql, in one
# transaction with the new checksum, still under the lock.
#
# Demo files (sql/demo/*.sql, idempotent) run every time with the psql
# variable demo_hash. Runs from the repository root, because migrations
# \copy files by relative path.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

usage="usage: migrate.sh [DATABASE_URL] [--demo HASH] [--reload]"
url=
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
	url=$1
	shift
fi
demo_hash=
reload=0
while [ $# -gt 0 ]; do
	case $1 in
	--demo) [ $# -ge 2 ] || die "--demo needs a hash"; demo_hash=$2; shift 2 ;;
	--reload) reload=1; shift ;;
	*) die "unknown argument: $1 ($usage)" ;;
	esac
done
if [ -z "$url" ]; then
	url=$(secret DATABASE_URL)
	[ -n "$url" ] || die "no database: DATABASE_URL or DATABASE_URL_FILE, or $usage"
fi
# For psql (libpq reads PGPASSWORD) and build/ngan-pii.
# shellcheck disable=SC2034  # exported by name below
PGPASSWORD=$(secret PGPASSWORD)
NGAN_PII_KEY=$(secret NGAN_PII_KEY)
unset PGPASSWORD_FILE NGAN_PII_KEY_FILE
for v in PGPASSWORD NGAN_PII_KEY; do
	if [ -n "${!v}" ]; then export "${v?}"; else unset "$v"; fi
done

# Notices such as "extension already exists, skipping" are noise here.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"; }

# The lock: 0x6e67616e, "ngan". Its session is a psql fed from here; it
# ends, and the lock goes, when this script exits, however it exits.
# idle_session_timeout off: a server-wide setting must not end it while
# the migrations run in other sessions.
lock_key=1852268910
coproc LOCK { PGAPPNAME=ngan-migrate-lock psql_ -At 2>&1; }
printf '%s\n' "set idle_session_timeout = 0;" \
    "select case when pg_try_advisory_lock($lock_key) then 'locked'" \
    "else 'busy' end;" >&"${LOCK[1]}"
IFS= read -r got <&"${LOCK[0]}" || got=
if [ "$got" = busy ]; then
	log "migrate: another run holds the migration lock; waiting for it"
	printf '%s\n' "select 'locked' from (select pg_advisory_lock($lock_key)) l;" \
	    >&"${LOCK[1]}"
	IFS= read -r got <&"${LOCK[0]}" || got=
fi
[ "$got" = locked ] || die "cannot take the migration lock: ${got:-no answer}"

psql_ <<'EOF'
create table if not exists schema_migrations (
	version		text primary key,
	filename	text not null,
	sha256		text not null,
	applied_at	timestamptz not null default now()
);
create table if not exists api_checksum (
	one		boolean primary key default true check (one),
	sha256		text not null,
	loaded_at	timestamptz not null default now()
);
EOF

shopt -s nullglob
# A migration where they were before sql/migrations/ (a branch from then).
for f in sql/[0-9][0-9][0-9]_*.sql; do
	die "$f: migrations live in sql/migrations/ (tables, data), functions in sql/api/"
done

# version|sha256 of every applied migration.
declare -A applied=()
while IFS='|' read -r v sum; do
	[ -n "$v" ] && applied[$v]=$sum
done < <(psql_ -At -c 'select version, sha256 from schema_migrations')

# "version sha256" pairs a migration had before its functions moved out.
declare -A old_sums=()
while read -r v sum _; do
	case $v in '' | '#'*) continue ;; esac
	old_sums["$v $sum"]=1
done <sql/migrations/old-checksums

n=0
declare -A seen=()
for f in sql/migrations/[0-9][0-9][0-9]_*.sql; do
	name=${f#sql/migrations/}
	v=${name:0:3}
	[ -z "${seen[$v]:-}" ] || die "two migrations numbered $v: ${seen[$v]} and $name"
	seen[$v]=$name
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	if [ -n "${applied[$v]:-}" ]; then
		if [ "${applied[$v]}" != "$sum" ] &&
		    [ -z "${old_sums["$v ${applied[$v]}"]:-}" ]; then
			die "migration $v was edited after it was applied ($name): add a new migration instead"
		fi
		continue
	fi
	log "migrate: applying $name"
	# The file and its bookkeeping row share one transaction.
	psql_ --single-transaction -v version="$v" -v filename="$name" \
	    -v sha="$sum" -f "$f" -f <(printf '%s\n' \
	    "insert into schema_migrations (version, filename, sha256)" \
	    "values (:'version', :'filename', :'sha');") ||
	    die "migration $name failed; nothing of it was applied"
	n=$((n + 1))
done
for v in "${!applied[@]}"; do
	[ -n "${seen[$v]:-}" ] || log "migrate: warning: applied migration $v has no file in sql/migrations/"
done
[ "$n" -eq 0 ] || log "migrate: $n migration(s) applied"

# Schema api, when sql/api/ changed: every file there is one that
# reload.sql loads, and the checksum covers them all.
for f in sql/api/*.sql; do
	name=${f#sql/api/}
	[ "$name" = reload.sql ] || grep -qxF "\\ir $name" sql/api/reload.sql ||
	    die "$f: sql/api/reload.sql does not load it (add \\ir $name in its place)"
done
api_sum=$(cd sql/api && sha256sum -- *.sql | sha256sum | cut -d' ' -f1)
loaded=$(psql_ -At -c 'select sha256 from api_checksum')
if [ "$reload" = 1 ] || [ "$loaded" != "$api_sum" ]; then
	log "migrate: loading schema api from sql/api/"
	# A lock timeout (busy tables, see reload.sql) is tried again.
	tries=0
	until out=$(psql_ --single-transaction -v sha="$api_sum" \
	    -f sql/api/reload.sql 2>&1); do
		tries=$((tries + 1))
		if [ "$tries" -ge 50 ] ||
		    ! grep -q 'canceling statement due to lock timeout' <<<"$out"; then
			printf '%s\n' "$out" >&2
			die "loading sql/api/ failed; schema api is as it was"
		fi
		sleep "0.$((RANDOM % 5 + 1))"
	done
	[ -z "$out" ] || printf '%s\n' "$out" >&2
fi

if [ -n "$demo_hash" ]; then
	for f in sql/demo/*.sql; do
		psql_ --single-transaction -v demo_hash="$demo_hash" -f "$f" ||
		    die "demo data $f failed"
	done
	# Demo product images are drawn by a script (no files downloaded).
	if command -v python3 >/dev/null 2>&1; then
		python3 scripts/demo-images.py |
		    psql_ --single-transaction -f - ||
		    die "demo images failed"
	else
		log "migrate: python3 missing: no demo product images"
	fi
	# Demo participants are generated: their national ids are sealed with
	# NGAN_PII_KEY by build/ngan-pii, so they load only where both exist.
	pii_tool=${NGAN_PII_TOOL:-build/ngan-pii}
	if [ -z "${NGAN_PII_KEY:-}" ]; then
		log "migrate: NGAN_PII_KEY (or NGAN_PII_KEY_FILE) not set: no demo participants"
	elif [ ! -x "$pii_tool" ] || [ ! -f scripts/demo-participants.sh ]; then
		log "migrate: $pii_tool or scripts/demo-participants.sh missing: no demo participants"
	else
		demo_sql=$(mktemp)
		if ! bash scripts/demo-participants.sh >"$demo_sql" ||
		    ! psql_ --single-transaction -f "$demo_sql"; then
			rm -f "$demo_sql"
			die "demo participants failed"
		fi
		rm -f "$demo_sql"
	fi
fi
