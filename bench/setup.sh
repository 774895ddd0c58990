# Sourced by bench/run.sh and bench/soak.sh (from the repository root,
# after scripts/lib.sh, with root and WORKERS set): one mktemp folder
# removed at exit, a throwaway PostgreSQL cluster with the demo data,
# throwaway secrets, and the functions that start, stop and watch the
# server. Sets tmp, pgdir, pg_port, api_port, base, kpid, DATABASE_URL,
# DEMO_PASSWORD.
# shellcheck shell=bash

tmp=$(mktemp -d "${NGAN_PG_TMP:-/tmp}/ngan-${BENCH_NAME:-bench}.XXXXXX")
chmod 0711 "$tmp"
pgdir=$tmp/pg
pg_port=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_kore "$tmp/kore.pid" 2>/dev/null || true
	if [ -n "$pg_port" ]; then
		bash scripts/pg.sh stop "$pgdir" "$pg_port" >/dev/null 2>&1 || true
	fi
	if [ -n "${BENCH_KEEP:-}" ] && [ -d "$tmp/out" ]; then
		mkdir -p "$BENCH_KEEP" && cp -r "$tmp/out/." "$BENCH_KEEP/" || true
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

