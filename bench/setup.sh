# Sourced by bench/run.sh and bench/soak.sh (from the repository root,
# after scripts/lib.sh, with root and WORKERS set): one mktemp folder
# removed at exit, a throwaway PostgreSQL cluster with the demo data,
# throwaway secrets, and the functions that start, stop and watch the
# server. Sets tmp, pgdir, pg_port, api_port, base, kpid, DATABASE_URL,
# DEMO_PASSWORD.
# shellcheck shell=bash
# The variables it sets are read by the scripts that source it; root
# comes from them.
# shellcheck disable=SC2034,SC2154

tmp=$(mktemp -d "${NGAN_PG_TMP:-/tmp}/ngan-${BENCH_NAME:-bench}.XXXXXX")
chmod 0711 "$tmp"
pgdir=$tmp/pg
pg_port=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_kore "$tmp/kore.pid" 2>/dev/null || true
	# bench/run.sh's builder of certificate ZIPs, if one runs.
	stop_certzip "$tmp/certzip.pid" 2>/dev/null || true
	# bench/run.sh's framework peer, if one runs.
	[ -z "${peer_pid:-}" ] || kill "$peer_pid" 2>/dev/null || true
	[ -z "${outbox_pidfile:-}" ] || stop_outbox "$outbox_pidfile" || true
	[ -z "${hook_pid:-}" ] || kill "$hook_pid" 2>/dev/null || true
	if [ -n "$pg_port" ]; then
		bash scripts/pg.sh stop "$pgdir" "$pg_port" >/dev/null 2>&1 || true
	fi
	if [ -n "${BENCH_KEEP:-}" ] && [ -d "$tmp/out" ]; then
		{ mkdir -p "$BENCH_KEEP" && cp -r "$tmp/out/." "$BENCH_KEEP/"; } || true
		cp "$tmp/server.log" "$BENCH_KEEP/" 2>/dev/null || true
	fi
	rm -rf -- "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- setup

t0=$SECONDS
pg_port=$(free_port)
mkdir -m 0700 "$pgdir"
bash scripts/pg.sh init "$pgdir" "$pg_port" "$tmp/pg.env"
load_env "$tmp/pg.env"

DEMO_PASSWORD=$(rand_password | cut -c1-16)
NGAN_PII_KEY=$(rand_hex 32)
gen_jwt_key "$tmp/keys/jwt-current.pem"
bash scripts/migrate.sh "$DATABASE_URL" \
    --demo "$(printf %s "$DEMO_PASSWORD" | build/ngan-passwd)" 2>/dev/null
psql -X -q -d "$DATABASE_URL" -v ON_ERROR_STOP=1 -f bench/events-seed.sql \
    >/dev/null || die "could not seed the events"
psql -X -q -d "$DATABASE_URL" -v ON_ERROR_STOP=1 -f bench/catalogue-seed.sql \
    >/dev/null || die "could not seed the catalogue"
# Fresh statistics for the demo rows, as a running database would have.
psql -X -q -d "$DATABASE_URL" -c 'analyze' 2>/dev/null || true

export DATABASE_URL NGAN_PII_KEY
export NGAN_JWT_KEY=$tmp/keys/jwt-current.pem
export NGAN_OPENAPI=$root/openapi.yaml
export NGAN_ACCESS_LOG=0
unset NGAN_JWT_PREVIOUS_KEYS

api_port=$(free_port)
base=http://127.0.0.1:$api_port
kpid=

# new_event TITLE CAPACITY TOKEN: a published seminar in Lamphun from 30
# minutes ago to 3 hours on, so its tickets check in now; prints its id.
new_event() {
	local id
	id=$(curl -fsS -X POST "$base/v1/events" -H "Authorization: Bearer $3" \
	    -H 'Content-Type: application/json' -d "{\"title\":\"$1\",
	    \"kind\":\"seminar\",\"starts_at\":\"$(date -u -d '-30 min' +%FT%TZ)\",
	    \"ends_at\":\"$(date -u -d '+3 hour' +%FT%TZ)\",\"capacity\":$2,
	    \"venue\":{\"name\":\"ห้องประชุม\",\"province_code\":\"52\"}}" |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
	    die "could not create the event $1"
	curl -fsS -o /dev/null -X PATCH "$base/v1/events/$id" -H 'If-Match: *' \
	    -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
	    -d '{"status":"published"}' || die "could not publish $1"
	echo "$id"
}

# import_people EVENT N SEED TOKEN: registers N generated people (a
# multiple of 5,000) by CSV imports of 5,000, seeds SEED+1, SEED+2, ...
import_people() {
	local i code
	for ((i = 1; i <= $2 / 5000; i++)); do
		python3 bench/import-csv.py 5000 $(($3 + i)) >"$tmp/people.csv"
		code=$(curl -s -o "$tmp/people.json" -w '%{http_code}' \
		    -X POST "$base/v1/events/$1/registrations/import" -H 'Expect:' \
		    -H "Authorization: Bearer $4" -H 'Content-Type: text/csv' \
		    --data-binary @"$tmp/people.csv")
		[ "$code" = 200 ] || die "import $i into $1 answered $code"
	done
}

# event_tickets EVENT N TOKEN OUT: the tickets of EVENT's N confirmed
# registrations into OUT, one token a line (dies on any other count).
event_tickets() {
	local n
	psql -X -q -At -d "$DATABASE_URL" -c "select id from registration
	    where event_id = '$1' and status = 'confirmed' order by id" \
	    >"$tmp/regs-$1"
	n=$(wc -l <"$tmp/regs-$1")
	[ "$n" -eq "$2" ] || die "event $1: $n confirmed registrations, not $2"
	python3 bench/tickets.py 127.0.0.1 "$api_port" "$3" 4 <"$tmp/regs-$1" \
	    >"$4" || die "could not fetch the tickets of $1"
}

# start_server PG_CONNS: (re)start kore with that pool size per worker.
start_server() {
	stop_server
	render_conf conf/ngan.conf.in "$tmp/ngan.conf" "$api_port" \
	    "$WORKERS" "$1" "$root/build/ngan.so" 127.0.0.1 "$tmp/kore.pid"
	setsid stdbuf -oL kore -f -n -r -c "$tmp/ngan.conf" >>"$tmp/server.log" 2>&1 &
	kpid=$!
	echo "$kpid" >"$tmp/kore.pid"
	if ! wait_http "$base/healthz" 30 "$kpid"; then
		tail -n 30 "$tmp/server.log" >&2 || true
		die "the server did not answer /healthz"
	fi
	cur_pg_conns=$1
}

stop_server() {
	stop_kore "$tmp/kore.pid"
	# stop_kore returns once the processes are gone; the port is free.
	kpid=
}

server_alive() {
	if [ -z "$kpid" ] || ! kill -0 "$kpid" 2>/dev/null; then
		tail -n 30 "$tmp/server.log" >&2 || true
		die "the server died"
	fi
}


# worker_rss: "NAME RSS_KB HWM_KB" per kore worker.
worker_rss() {
	local pid title
	for pid in $(kore_group_pids "$kpid"); do
		title=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		case $title in
		*"[wrk "*) ;;
		*) continue ;;
		esac
		title=${title#*[}
		title=${title%%]*}
		awk -v n="${title// /-}" '
		    /^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
		    END { print n, r, h }' "/proc/$pid/status"
	done
}

# get_token USER: a password-grant access token.
get_token() {
	curl -fsS -X POST "$base/v1/auth/token" \
	    -H 'Content-Type: application/json' \
	    -d "{\"grant_type\":\"password\",\"username\":\"$1\",\"password\":\"$DEMO_PASSWORD\"}" |
	    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

