#!/usr/bin/env bash
# make test: C unit tests, then the end-to-end suite (tests/e2e, node:test)
# against the real server and a throwaway PostgreSQL cluster, both on free
# ports, with throwaway secrets. Everything lives in one mktemp folder that
# is removed at exit, whatever happens. Ends with the line
# "N passed, N failed" summing both suites; exits non-zero if any failed.
#
# Environment: WORKERS (2), PG_CONNS (4), NGAN_TEST_TIMEOUT (seconds for
# the e2e suite, 2400: a hang ends, a loaded machine does not), E2E
# (files or folder for node --test, tests/e2e/),
# NGAN_BUILD (build; build-san for make SANITIZE=...), NGAN_SANITIZE (the
# sanitizers the build has: their runtimes are preloaded into kore and
# every report they write fails the run).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
root=$PWD
bld=${NGAN_BUILD:-build}
export NGAN_PII_TOOL=$root/$bld/ngan-pii

if [ ! -f "$bld/ngan.so" ] || [ ! -x "$bld/ngan-passwd" ]; then
	die "$bld/ngan.so or $bld/ngan-passwd missing: run make build (make test does)"
fi
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
	stop_outbox "$tmp/outbox.pid" 2>/dev/null || true
	stop_certzip "$tmp/certzip.pid" 2>/dev/null || true
	# NGAN_TEST_LOGS=DIR keeps the server's and PostgreSQL's logs, and
	# those of the servers tests start (tests/e2e/server-lib.mjs).
	if [ -n "${NGAN_TEST_LOGS:-}" ]; then
		mkdir -p "$NGAN_TEST_LOGS"
		cp -f "$tmp"/*.log "$NGAN_TEST_LOGS/" 2>/dev/null || true
		cp -f "$pgdir"/data/postgresql.log "$NGAN_TEST_LOGS/" \
		    2>/dev/null || true
	fi
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
NGAN_METRICS_TOKEN=$(rand_hex 32)
export NGAN_METRICS_TOKEN
gen_jwt_key "$tmp/keys/jwt-current.pem"
gen_jwt_key "$tmp/keys/jwt-previous.pem"

# The demo participants are sealed with NGAN_PII_KEY (scripts/migrate.sh).
export DATABASE_URL NGAN_PII_KEY DEMO_PASSWORD
bash scripts/migrate.sh "$DATABASE_URL" \
    --demo "$(printf %s "$DEMO_PASSWORD" | "$bld/ngan-passwd")"

passed=0
failed=0
status=0

# Sanitizer reports (ASan, UBSan) from the server land in $tmp/san/;
# the unit tests report on stderr, with leak checking on.
mkdir -p "$tmp/san"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

# C unit tests print their own "N passed, N failed" line.
if [ -x "$bld/unit-tests" ]; then
	echo "== unit tests"
	set +e
	"$bld/unit-tests" 2>&1 | tee "$tmp/unit.log"
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
    "${WORKERS:-2}" "${PG_CONNS:-4}" "$root/$bld/ngan.so" 127.0.0.1 \
    "$tmp/kore.pid"
export NGAN_JWT_KEY=$tmp/keys/jwt-current.pem
export NGAN_JWT_PREVIOUS_KEYS=$tmp/keys/jwt-previous.pem
# One issuer for every server of the run, as for replicas behind one front:
# the second servers some tests start (other ports) take this one's tokens.
export NGAN_PUBLIC_URL=http://127.0.0.1:$api_port
export NGAN_OPENAPI=$root/openapi.yaml
export NGAN_ASSETS=$root/assets
# Partner data: a small rate limit the tests can reach, and one allowed
# browser origin (tests/e2e/55-browser.test.mjs serves a page on it).
export NGAN_PARTNER_RATE=${NGAN_PARTNER_RATE:-40}
export NGAN_STATS_TTL=0		# fresh numbers: tests change data between reads
export NGAN_MESSAGES=log		# tests read the codes from the server log
# The demo's events go back to 2017: a 5-year retention would erase its
# people on the first start. 65-privacy back-dates its own beyond this.
export NGAN_RETENTION_YEARS=30
export NGAN_OUTBOX_BACKOFF_MS=200	# retries within a test's patience
# Development only: webhook endpoints on loopback (the tests' receivers).
export NGAN_WEBHOOK_ALLOW_LOOPBACK=1
NGAN_TEST_ORIGIN_PORT=$(free_port)
export NGAN_TEST_ORIGIN_PORT
export NGAN_CORS_ORIGINS=http://127.0.0.1:$NGAN_TEST_ORIGIN_PORT
# A sanitizer build needs its runtimes loaded first by kore, which is not
# built with them. Leak checks are off in the server: workers are forked
# and killed, and Kore keeps its pools to the end (the unit tests and make
# valgrind check leaks). Reports go to files that fail the run.
export NGAN_SERVER_LOG=$tmp/server.log
# Certificate ZIPs (tools/ngan-certzip.c writes, the server sends).
export NGAN_CERT_ZIP_DIR=$tmp/zips
san_preload=
if [ -n "${NGAN_SANITIZE:-}" ]; then
	case ",$NGAN_SANITIZE," in
	*,address,*) san_preload+="$(${CC:-cc} -print-file-name=libasan.so) " ;;
	esac
	case ",$NGAN_SANITIZE," in
	*,undefined,*) san_preload+="$(${CC:-cc} -print-file-name=libubsan.so)" ;;
	esac
	export ASAN_OPTIONS=detect_leaks=0:log_path=$tmp/san/asan:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$tmp/san/ubsan
fi
# Tests that start a second server (key rotation) preload the same.
export NGAN_SAN_PRELOAD=$san_preload
# Both the server and the outbox's delivery append to the one log.
: >"$tmp/server.log"
LD_PRELOAD=$san_preload setsid stdbuf -oL kore -f -n -r -c "$tmp/ngan.conf" \
    >>"$tmp/server.log" 2>&1 &
kpid=$!
echo "$kpid" >"$tmp/kore.pid"
# The outbox's delivery (NGAN_MESSAGES=log: into the server log). Tests
# that run their own (tests/e2e/outbox-lib.mjs) stop this one first and
# start it again after, with these commands.
start_outbox "$root/$bld/ngan-outbox" "$tmp/server.log" "$tmp/outbox.pid"
export NGAN_OUTBOX_BIN=$root/$bld/ngan-outbox
export NGAN_OUTBOX_STOP=". '$root/scripts/lib.sh'; stop_outbox '$tmp/outbox.pid'"
export NGAN_OUTBOX_START=". '$root/scripts/lib.sh'; start_outbox '$root/$bld/ngan-outbox' '$tmp/server.log' '$tmp/outbox.pid'"
# The builder of certificate ZIPs; 45-certificate-zip stops and starts
# it (a restart mid-job) and reads its memory by its pid.
start_certzip "$root/$bld/ngan-certzip" "$tmp/server.log" "$tmp/certzip.pid"
export NGAN_CERTZIP_PIDFILE=$tmp/certzip.pid
export NGAN_CERTZIP_START=". '$root/scripts/lib.sh'; start_certzip '$root/$bld/ngan-certzip' '$tmp/server.log' '$tmp/certzip.pid'"

server_log() {
	echo "== last lines of the server log:"
	tail -n 40 "$tmp/server.log" || true
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
	# Where postmaster.pid is, for a test that kills PostgreSQL outright.
	export NGAN_PG_DATA=$pgdir/data
	set +e
	# The superuser URL for tests that make databases of their own
	# (tests/e2e/82-deploy-migrate.test.mjs); the server never gets it.
	# shellcheck disable=SC2086
	NGAN_PG_ADMIN_URL=$NGAN_PG_ADMIN_URL \
	    timeout -k 10 "${NGAN_TEST_TIMEOUT:-2400}" node --test \
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

# Stop the server now so that what it reports on its way out is counted.
stop_kore "$tmp/kore.pid" 2>/dev/null || true
stop_outbox "$tmp/outbox.pid" 2>/dev/null || true
stop_certzip "$tmp/certzip.pid" 2>/dev/null || true

# Secrets never reach the log: the demo password, the PII key, the
# metrics token, the signing keys (their PEM bodies) and bearer or
# refresh tokens.
leaks=0
for secret in "$DEMO_PASSWORD" "$NGAN_PII_KEY" "$NGAN_METRICS_TOKEN" \
    "$(sed -n 2p "$tmp/keys/jwt-current.pem")" \
    "$(sed -n 2p "$tmp/keys/jwt-previous.pem")"; do
	if [ -n "$secret" ] && grep -qF -- "$secret" "$tmp/server.log"; then
		leaks=$((leaks + 1))
	fi
done
if grep -qE 'eyJ[A-Za-z0-9_-]{10,}\.eyJ|Bearer [A-Za-z0-9]' "$tmp/server.log"; then
	leaks=$((leaks + 1))
fi
if [ "$leaks" -gt 0 ]; then
	echo "the server log holds $leaks secret(s) or token(s)"
	failed=$((failed + 1))
else
	passed=$((passed + 1))
	echo "== server log: no secrets, keys or tokens"
fi
if [ -n "${NGAN_SANITIZE:-}" ]; then
	if grep -qE 'runtime error|ERROR: (Address|Undefined|Leak)Sanitizer' \
	    "$tmp/server.log" || [ -n "$(ls -A "$tmp/san")" ]; then
		echo "== sanitizer reports:"
		for f in "$tmp/san"/*; do
			[ -f "$f" ] && { echo "-- $f"; head -n 60 "$f"; }
		done
		grep -E -A20 'runtime error|Sanitizer' "$tmp/server.log" | head -n 80
		failed=$((failed + 1))
	else
		echo "== sanitizers ($NGAN_SANITIZE): no reports"
	fi
fi

[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit "$status"
