#!/usr/bin/env bash
# Apply sql/NNN_*.sql migrations in order, then optionally the demo data.
#
#   migrate.sh DATABASE_URL [--demo ARGON2ID_HASH]
#
# Each migration runs in one transaction together with its row in
# schema_migrations, so a failed migration leaves no trace. A recorded
# migration whose file changed since (sha256) stops the run: migrations are
# append-only. Demo files (sql/demo/*.sql, idempotent) run every time with
# the psql variable demo_hash. Runs from the repository root, because
# migrations \copy files by relative path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

[ $# -ge 1 ] || die "usage: migrate.sh DATABASE_URL [--demo HASH]"
url=$1
shift
demo_hash=
while [ $# -gt 0 ]; do
	case $1 in
	--demo) [ $# -ge 2 ] || die "--demo needs a hash"; demo_hash=$2; shift 2 ;;
	*) die "unknown argument: $1" ;;
	esac
done

# Notices such as "extension already exists, skipping" are noise here.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"; }

psql_ <<'EOF'
create table if not exists schema_migrations (
	version		text primary key,
	filename	text not null,
	sha256		text not null,
	applied_at	timestamptz not null default now()
);
EOF

# version|sha256 of every applied migration.
declare -A applied=()
while IFS='|' read -r v sum; do
	[ -n "$v" ] && applied[$v]=$sum
done < <(psql_ -At -c 'select version, sha256 from schema_migrations')

shopt -s nullglob
n=0
declare -A seen=()
for f in sql/[0-9][0-9][0-9]_*.sql; do
	name=${f#sql/}
	v=${name:0:3}
	[ -z "${seen[$v]:-}" ] || die "two migrations numbered $v: ${seen[$v]} and $name"
	seen[$v]=$name
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	if [ -n "${applied[$v]:-}" ]; then
		if [ "${applied[$v]}" != "$sum" ]; then
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
	[ -n "${seen[$v]:-}" ] || log "migrate: warning: applied migration $v has no file in sql/"
done
[ "$n" -eq 0 ] || log "migrate: $n migration(s) applied"

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
		log "migrate: NGAN_PII_KEY not set: no demo participants"
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
