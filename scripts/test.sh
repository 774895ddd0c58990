#!/usr/bin/env bash
# make test: C unit tests, then the end-to-end suite (tests/e2e, node:test)
# against the real server and a throwaway PostgreSQL cluster, both on free
# ports, with throwaway secrets. Everything lives in one mktemp folder that
# is removed at exit, whatever happens. Ends with the line
# "N passed, N failed" summing both suites; exits non-zero if any failed.
#
# Environment: WORKERS (2), PG_CONNS (4), NGAN_TEST_TIMEOUT (seconds for
# the e2e suite, 1200), E2E (files or folder for node --test, tests/e2e/).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
root=$PWD

[ -f build/ngan.so ] && [ -x build/ngan-passwd ] ||
    die "build/ngan.so or build/ngan-passwd missing: run make build (make test does)"
command -v node >/dev/null 2>&1 || die "node not found (run scripts/deps.sh)"
[ -d tests/node_modules ] || die "tests/node_modules missing (run scripts/deps.sh)"

# One folder for everything; postgres (when we are root) must be able to
# pass through it to its own pg/ inside, hence 0711.
tmp=$(mktemp -d "${NGAN_PG_TMP:-/tmp}/ngan-test.XXXXXX")
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
	rm -rf -- "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Throwaway database.
pg_port=$(free_port)
mkdir -m 0700 "$pgdir"
bash scripts/pg.sh init "$pgdir" "$pg_port" "$tmp/pg.env"
load_env "$tmp/pg.env"

# Throwaway secrets.
DEMO_PASSWORD=$(rand_password | cut -c1-16)
NGAN_PII_KEY=$(rand_hex 32)
gen_jwt_key "$tmp/keys/jwt-current.pem"
gen_jwt_key "$tmp/keys/jwt-previous.pem"

# The demo participants are sealed with NGAN_PII_KEY (scripts/migrate.sh).
export DATABASE_URL NGAN_PII_KEY DEMO_PASSWORD
bash scripts/migrate.sh "$DATABASE_URL" \
    --demo "$(printf %s "$DEMO_PASSWORD" | build/ngan-passwd)"

passed=0
failed=0
status=0

# C unit tests print their own "N passed, N failed" line.
if [ -x build/unit-tests ]; then
	echo "== unit tests"
	set +e
	build/unit-tests 2>&1 | tee "$tmp/unit.log"
	rc=${PIPESTATUS[0]}
	set -e
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/unit.log" | tail -n 1 || true)
	if [ -n "$line" ]; then
		read -r up _ uf _ <<<"${line//,/}"
		passed=$((passed + up))
		failed=$((failed + uf))
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))	# crashed before its summary
	fi
	[ "$rc" -eq 0 ] || status=1
fi

# The server, on its own free port, in its own process group.
api_port=$(free_port)
render_conf conf/ngan.conf.in "$tmp/ngan.conf" "$api_port" \
    "${WORKERS:-2}" "${PG_CONNS:-4}" "$root/build/ngan.so" 127.0.0.1 \
    "$tmp/kore.pid"
export NGAN_JWT_KEY=$tmp/keys/jwt-current.pem
export NGAN_JWT_PREVIOUS_KEYS=$tmp/keys/jwt-previous.pem
export NGAN_OPENAPI=$root/openapi.yaml
export NGAN_ASSETS=$root/assets
# Partner data: a small rate limit the tests can reach, and one allowed
# browser origin (tests/e2e/55-browser.test.mjs serves a page on it).
export NGAN_PARTNER_RATE=${NGAN_PARTNER_RATE:-40}
export NGAN_STATS_TTL=0		# fresh numbers: tests change data between reads
NGAN_TEST_ORIGIN_PORT=$(free_port)
export NGAN_TEST_ORIGIN_PORT
export NGAN_CORS_ORIGINS=http://127.0.0.1:$NGAN_TEST_ORIGIN_PORT
# A sanitizer build (make SANITIZE=address) needs its runtime loaded first
# by kore, which is not built with it.
if ldd build/ngan.so 2>/dev/null | grep -q libasan; then
	export LD_PRELOAD
	LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
fi
setsid stdbuf -oL kore -f -n -r -c "$tmp/ngan.conf" >"$tmp/server.log" 2>&1 &
kpid=$!
echo "$kpid" >"$tmp/kore.pid"
unset LD_PRELOAD

server_log() {
	echo "== last lines of the server log:"
	tail -n "${1:-40}" "$tmp/server.log" || true
}

echo "== end-to-end tests (server on 127.0.0.1:$api_port, PostgreSQL on $pg_port)"
if ! wait_http "http://127.0.0.1:$api_port/healthz" 30 "$kpid"; then
	echo "the server did not answer /healthz"
	server_log
	failed=$((failed + 1))
	status=1
else
	export NGAN_BASE_URL=http://127.0.0.1:$api_port
	export NGAN_PG_STOP="bash '$root/scripts/pg.sh' stop '$pgdir' $pg_port"
	export NGAN_PG_START="bash '$root/scripts/pg.sh' start '$pgdir' $pg_port"
	set +e
	# shellcheck disable=SC2086
	timeout -k 10 "${NGAN_TEST_TIMEOUT:-1200}" node --test \
	    --test-concurrency=1 --test-reporter=tap ${E2E:-tests/e2e/} \
	    </dev/null 2>&1 | tee "$tmp/e2e.log"
	rc=${PIPESTATUS[0]}
	set -e
	ep=$(grep -E '^# pass [0-9]+' "$tmp/e2e.log" | tail -n 1 | tr -dc 0-9 || true)
	ef=$(grep -E '^# fail [0-9]+' "$tmp/e2e.log" | tail -n 1 | tr -dc 0-9 || true)
	ec=$(grep -E '^# cancelled [0-9]+' "$tmp/e2e.log" | tail -n 1 | tr -dc 0-9 || true)
	passed=$((passed + ${ep:-0}))
	failed=$((failed + ${ef:-0} + ${ec:-0}))
	if [ "$rc" -ne 0 ]; then
		status=1
		if [ -z "$ef" ] || [ $((${ef:-0} + ${ec:-0})) -eq 0 ]; then
			echo "node --test exited with status $rc"
			failed=$((failed + 1))
		fi
		server_log
	fi
	if ! kill -0 "$kpid" 2>/dev/null; then
		echo "the server died during the tests"
		server_log
		status=1
	fi
fi

[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit "$status"
