#!/usr/bin/env bash
# make bench: wrk against the real server and a throwaway PostgreSQL
# cluster (both on free loopback ports, throwaway secrets, demo data), with
# pgbench running the same SQL in the same run as the database baseline.
# Prints one table: req/s, p50, p99, the ratio to the /healthz ceiling and,
# for database-backed routes, to pgbench's tps on the same statement; then
# the p99 at half the peak rate and each worker's resident memory; then the
# check-in scenario's counts checked against the database.
# Everything lives in one mktemp folder removed at exit.
#
# Environment (defaults in brackets):
#   WORKERS [2]             kore workers
#   PG_CONNS [8]            pgsql_conn_max per worker (8: what make run and
#                           the image use); "probe" = try each of
#                           BENCH_PROBE_CONNS on /v1/me and keep the fastest
#   BENCH_CONNS ["16 64 256"]  wrk connection counts per scenario
#   BENCH_DURATION [8]      seconds per measurement
#   BENCH_WARMUP [2]        seconds of warm-up before each (not counted)
#   BENCH_THREADS [2]       wrk threads and pgbench -j
#   BENCH_KEEP              folder to copy the raw wrk/pgbench output into
#   CHECKIN_TICKETS [60000] tickets the check-in scenario scans (x 5000;
#                           enough that the peak and half-peak runs, the
#                           API's and pgbench's, scan fresh tickets)
#   CHECKIN_CONNS [64]      wrk connections for the check-in scenario
#   STATS_EVENTS [50]       statistics year: events per province (x 77)
#   STATS_REGS [200]        registrations per event (bench/stats-seed.sql)
#   STATS_CONNS [64]        wrk connections for the statistics scenario
#   REG_CONNS [32]          wrk connections for the outbox group
#   BENCH_ONLY [all]        groups to run, of: me events catalogue import
#                           checkin stats certificates outbox (e.g.
#                           BENCH_ONLY=checkin); events includes the
#                           framework peer (bench/peer: Fastify + pg, npm
#                           ci there on first use) and our ratios to it
#   CERT_PEOPLE [2000]      people who qualify at the certificates' event
#
# Adding a scenario (see "The runs" at the end):
#   scenario NAME PATH [--vs BASELINE] [wrk args...]   one row per BENCH_CONNS
#   baseline NAME SQLFILE [CLIENTS]     pgbench -M prepared; @NAME@ in the
#                                       file is replaced by $B_NAME (bench
#                                       variables, e.g. @ACTOR@ = $B_ACTOR)
#   ceiling NAME PATH [wrk args...]     a scenario whose best rate is the
#                                       ceiling every row is compared with
#   paced NAME PATH RATE [wrk args...]  at about RATE req/s (bench/paced.lua,
#                                       or $PACED_SCRIPT taking the same arg)
set -euo pipefail
# shellcheck source=../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd_root
root=$PWD

WORKERS=${WORKERS:-2}
BENCH_CONNS=${BENCH_CONNS:-16 64 256}
BENCH_DURATION=${BENCH_DURATION:-8}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_PROBE_CONNS=${BENCH_PROBE_CONNS:-4 8}	# smallest first
BENCH_PROBE_DURATION=${BENCH_PROBE_DURATION:-4}
PACED_CONNS=${PACED_CONNS:-64}
BENCH_ONLY=${BENCH_ONLY:-}
for g in $BENCH_ONLY; do
	case $g in
	me | events | catalogue | import | checkin | stats | certificates | outbox) ;;
	*) die "BENCH_ONLY: no group $g (me events catalogue import checkin stats certificates outbox)" ;;
	esac
done
# want GROUP: true when GROUP is to run.
want() {
	[ -z "$BENCH_ONLY" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]
}

if [ ! -f build/ngan.so ] || [ ! -x build/ngan-passwd ]; then
	die "build/ngan.so or build/ngan-passwd missing: run make build (make bench does)"
fi
for t in wrk pgbench curl python3 psql; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (run scripts/deps.sh)"
done

# The throwaway cluster, secrets, demo data and start_server/stop_server/
# server_alive/worker_rss/get_token: shared with bench/soak.sh.
. bench/setup.sh
mkdir "$tmp/out"
: >"$tmp/results"

# -------------------------------------------------------------- helpers

# parse_wrk FILE: "REQ_PER_S P50_MS P99_MS NON2XX SOCKET_ERRORS"
parse_wrk() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return v * 0.001
		if (v ~ /ms$/) return v * 1
		if (v ~ /s$/) return v * 1000
		if (v ~ /m$/) return v * 60000
		if (v ~ /h$/) return v * 3600000
		return v
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx or 3xx responses:/ { bad = $NF }
	/Socket errors:/ {
		gsub(/,/, "")
		err = $4 + $6 + $8 + $10
	}
	END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, bad, err }
	' "$1"
}

# run_wrk OUTFILE CONNS SECONDS PATH [wrk args...] [-- script args...]
run_wrk() {
	local out=$1 c=$2 d=$3 path=$4 a
	local opts=() sargs=()
	shift 4
	while [ $# -gt 0 ]; do
		a=$1
		shift
		if [ "$a" = -- ]; then sargs=(-- "$@"); break; fi
		opts+=("$a")
	done
	# A full URL is another server's (the peer's); a path is ours.
	case $path in
	http://*) ;;
	*) path=$base$path ;;
	esac
	wrk --latency -t"$BENCH_THREADS" -c"$c" -d"${d}s" --timeout 5s \
	    "${opts[@]}" "$path" "${sargs[@]}" >"$out" 2>&1 || {
		cat "$out" >&2
		die "wrk failed"
	}
	server_alive
}

# note_for NON2XX SOCKET_ERRORS: a warning for the table, or "".
note_for() {
	local n=""
	[ "$1" -eq 0 ] || n="$1 non-2xx!"
	[ "$2" -eq 0 ] || n="${n:+$n }$2 socket errors"
	echo "$n"
}

# add_row KIND NAME CONNS RPS P50 P99 VS NOTE (tab-separated; "-" = none)
add_row() {
	local IFS=$'\t'
	echo "$*" >>"$tmp/results"
}

slug() { printf %s "$1" | tr -c 'A-Za-z0-9_.-' _; }

# Splits "[--vs BASELINE] [wrk args...]" into $vs and the array wrk_args.
split_args() {
	vs=-
	if [ "${1:-}" = --vs ]; then vs=$2; shift 2; fi
	wrk_args=("$@")
}

# before_run: runs $BEFORE_RUN (a command, if set) before each warm-up of
# scenario, baseline and paced.
before_run() {
	[ -z "${BEFORE_RUN:-}" ] || $BEFORE_RUN
}

# checkpoint: a CHECKPOINT now, as the cluster's superuser.
checkpoint() {
	psql -X -q -d "$NGAN_PG_ADMIN_URL" -c checkpoint ||
	    die "CHECKPOINT failed"
}

# scenario NAME PATH [--vs BASELINE] [wrk args...]
# One row per connection count in BENCH_CONNS (set it before the call to
# change it for one scenario), each after a warm-up.
scenario() {
	local name=$1 path=$2 c out
	shift 2
	split_args "$@"
	for c in $BENCH_CONNS; do
		log "bench: $name -c$c"
		before_run
		run_wrk /dev/null "$c" "$BENCH_WARMUP" "$path" "${wrk_args[@]}"
		out=$tmp/out/wrk-$(slug "$name")-c$c.txt
		run_wrk "$out" "$c" "$BENCH_DURATION" "$path" "${wrk_args[@]}"
		read -r rps p50 p99 bad err <<<"$(parse_wrk "$out")"
		add_row scenario "$name" "$c" "$rps" "$p50" "$p99" "$vs" \
		    "$(note_for "$bad" "$err")"
	done
}

# ceiling NAME PATH [wrk args...]: a scenario whose best rate is the
# framework ceiling the other rows are compared with.
ceiling() {
	local name=$1
	scenario "$@"
	sed -i "s/^scenario\t$name\t/ceiling\t$name\t/" "$tmp/results"
}

# render_sql IN OUT: replace each @NAME@ with the value of $B_NAME.
render_sql() {
	local in=$1 out=$2 v val
	cp "$in" "$out"
	for v in $(grep -o '@[A-Z0-9_]*@' "$in" | sort -u | tr -d @); do
		local var=B_$v
		[ -n "${!var+x}" ] || die "$in uses @$v@ but \$B_$v is not set"
		val=${!var}
		val=${val//\\/\\\\}
		val=${val//&/\\&}
		val=${val//|/\\|}
		sed -i "s|@$v@|$val|g" "$out"
	done
}

# baseline NAME SQLFILE [CLIENTS]: pgbench -M prepared on the script with
# CLIENTS (default: the connections the server may hold, WORKERS x
# PG_CONNS) and -j BENCH_THREADS, after a warm-up. p50/p99 come from a 10%
# sample of pgbench's per-transaction log.
baseline() {
	local name=$1 file=$2 clients=${3:-$((WORKERS * cur_pg_conns))}
	local rate=${4:-} sql out tps fails lat logdir
	sql=$tmp/$(slug "$name").sql
	logdir=$tmp/pgbench-$(slug "$name")
	local -a paced=()
	[ -z "$rate" ] || paced=(-R "$rate")
	render_sql "$file" "$sql"
	log "bench: $name (pgbench -c$clients${rate:+ -R $rate})"
	before_run
	pgbench -n -M prepared -c "$clients" -j "$BENCH_THREADS" "${paced[@]}" \
	    -T "$BENCH_WARMUP" -f "$sql" "$DATABASE_URL" >/dev/null 2>&1 ||
	    die "pgbench warm-up failed for $name"
	mkdir -p "$logdir"
	out=$tmp/out/pgbench-$(slug "$name").txt
	(cd "$logdir" && pgbench -n -M prepared -c "$clients" \
	    -j "$BENCH_THREADS" -T "$BENCH_DURATION" -l --sampling-rate=0.1 \
	    "${paced[@]}" -f "$sql" "$DATABASE_URL") >"$out" 2>&1 || {
		cat "$out" >&2
		die "pgbench failed for $name"
	}
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out" | tail -n 1)
	fails=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
	# Log lines: client tx_no latency_us script_no epoch us. The first
	# second is left out: pgbench opens its connections (SCRAM, and each
	# new backend compiles the plpgsql functions on first call) after the
	# rate schedule has started, and -R counts that wait as latency.
	lat=$(cat "$logdir"/pgbench_log.* | awk '
	    { t[NR] = $5 + $6 / 1e6; l[NR] = $3; if (NR == 1 || t[NR] < t0) t0 = t[NR] }
	    END { for (i = 1; i <= NR; i++) if (t[i] >= t0 + 1) print l[i] }' | sort -n |
	    awk '{ v[NR] = $1 }
	    END {
		if (NR == 0) { print "0 0"; exit }
		i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
		i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
		printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000
	    }')
	rm -rf "$logdir"
	read -r p50 p99 <<<"$lat"
	# A paced baseline: latency at a given rate, not a limit to compare
	# with (pgbench -R counts the schedule lag in its latency, as a
	# client waiting for its turn would).
	add_row "$([ -z "$rate" ] && echo baseline || echo paced-baseline)" \
	    "$name" "$clients" "$(printf %.0f "$tps")" "$p50" "$p99" - \
	    "$([ -z "$rate" ] || echo "target $rate/s")$([ "${fails:-0}" -eq 0 ] || echo " $fails failed")"
}

# paced NAME PATH RATE [--vs BASELINE] [wrk args...]: PACED_CONNS
# connections sending at about RATE req/s in all (bench/paced.lua). A
# short calibration run corrects the pause for the observed overhead.
paced() {
	local name=$1 path=$2 rate=$3 mean out rps p50 p99 bad err over
	local script=${PACED_SCRIPT:-bench/paced.lua}
	shift 3
	split_args "$@"
	[ "$rate" -gt 0 ] || die "paced $name: rate must be > 0"
	mean=$(awk -v c="$PACED_CONNS" -v r="$rate" 'BEGIN { printf "%.3f", c * 1000 / r }')
	log "bench: $name at $rate req/s (calibrating)"
	before_run
	out=$tmp/out/paced-$(slug "$name")-calibrate.txt
	run_wrk "$out" "$PACED_CONNS" 3 "$path" "${wrk_args[@]}" \
	    -s "$script" -- "$mean"
	read -r rps _ <<<"$(parse_wrk "$out")"
	# Each connection's cycle is pause + overhead (latency, scheduling).
	over=$(awk -v c="$PACED_CONNS" -v x="$rps" -v m="$mean" \
	    'BEGIN { o = (x > 0) ? c * 1000 / x - m : 0; printf "%.3f", (o > 0) ? o : 0 }')
	mean=$(awk -v c="$PACED_CONNS" -v r="$rate" -v o="$over" \
	    'BEGIN { m = c * 1000 / r - o; printf "%.3f", (m > 0.5) ? m : 0.5 }')
	log "bench: $name at $rate req/s (pause ${mean} ms per connection)"
	out=$tmp/out/paced-$(slug "$name").txt
	run_wrk "$out" "$PACED_CONNS" "$BENCH_DURATION" "$path" "${wrk_args[@]}" \
	    -s "$script" -- "$mean"
	read -r rps p50 p99 bad err <<<"$(parse_wrk "$out")"
	local note
	note="target $rate/s"
	[ "$bad" -eq 0 ] || note="$note, $bad non-2xx!"
	[ "$err" -eq 0 ] || note="$note, $err socket errors"
	add_row paced "$name" "$PACED_CONNS" "$rps" "$p50" "$p99" "$vs" "$note"
}

# start_peer EVENT_ID: bench/peer (Fastify + pg) on a free port, as many
# processes as kore workers with pools as large; sets peer_base.
start_peer() {
	local i
	if [ ! -d bench/peer/node_modules ] ||
	    [ bench/peer/package-lock.json -nt bench/peer/node_modules ]; then
		log "bench: npm ci in bench/peer"
		(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error \
		    >/dev/null) || die "npm ci in bench/peer failed"
		touch bench/peer/node_modules
	fi
	peer_port=$(free_port)
	peer_base=http://127.0.0.1:$peer_port
	# At the kore workers' priority (NGAN_WORKER_PRIORITY, -10 by
	# default), where this user may set it: the same CPUs on equal terms.
	local prio=${NGAN_WORKER_PRIORITY:--10} nice=()
	if nice -n "$prio" true 2>/dev/null; then nice=(nice -n "$prio"); fi
	PEER_PORT=$peer_port PEER_WORKERS=$WORKERS PEER_PG_CONNS=$cur_pg_conns \
	    PEER_EVENT_ID=$1 "${nice[@]}" node bench/peer/server.mjs \
	    >>"$tmp/peer.log" 2>&1 &
	peer_pid=$!
	for i in $(seq 1 100); do
		if [ "$(curl -s -o /dev/null -w '%{http_code}' \
		    "$peer_base/one")" = 200 ]; then
			return 0
		fi
		kill -0 "$peer_pid" 2>/dev/null ||
		    { cat "$tmp/peer.log" >&2; die "the peer did not start"; }
		sleep 0.1
	done
	die "the peer did not answer on $peer_base/one"
}

stop_peer() {
	[ -z "${peer_pid:-}" ] || kill "$peer_pid" 2>/dev/null || true
	wait "$peer_pid" 2>/dev/null || true
	peer_pid=
}

# best_rps NAME: the highest req/s (or tps) among NAME's rows.
best_rps() {
	awk -F'\t' -v n="$1" '$2 == n && $4 > m { m = $4 } END { print m + 0 }' \
	    "$tmp/results"
}

# actor_json TOKEN: the actor JSON the server builds from the token's
# claims (api/auth.c: sub, role, kind, agency_id if set, sid if set).
actor_json() {
	python3 - "$1" <<'EOF'
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
a = {"sub": c["sub"], "role": c["role"], "kind": "user"}
if c.get("agency_id"):
    a["agency_id"] = c["agency_id"]
if c.get("sid"):
    a["sid"] = c["sid"]
print(json.dumps(a, separators=(",", ":"), ensure_ascii=False))
EOF
}

# ------------------------------------------------------------- the runs

log "bench: setup took $((SECONDS - t0)) s"
# The outbox group's webhook receiver is on loopback.
export NGAN_WEBHOOK_ALLOW_LOOPBACK=1
PG_CONNS=${PG_CONNS:-8}
start_server "$([ "$PG_CONNS" = probe ] && echo 4 || echo "$PG_CONNS")"
TOKEN=$(get_token admin) || die "could not get a token for admin"
auth=(-H "Authorization: Bearer $TOKEN")
# shellcheck disable=SC2034  # templates read B_* by name (@ACTOR@)
B_ACTOR=$(actor_json "$TOKEN")
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/v1/me")
[ "$code" = 200 ] || die "GET /v1/me answered $code"

# The pool size: the fastest /v1/me at -c64 among the candidates.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
probe_note=
if [ "$PG_CONNS" = probe ]; then
	best=0
	for n in $BENCH_PROBE_CONNS; do
		start_server "$n"
		run_wrk /dev/null 64 1 /v1/me "${auth[@]}"
		out=$tmp/out/probe-pg_conns-$n.txt
		run_wrk "$out" 64 "$BENCH_PROBE_DURATION" /v1/me "${auth[@]}"
		read -r rps p50 p99 bad err <<<"$(parse_wrk "$out")"
		log "bench: PG_CONNS=$n: /v1/me -c64 $rps req/s, p99 $p99 ms"
		probe_note="$probe_note PG_CONNS=$n: $rps req/s p99 $p99 ms;"
		# Candidates go smallest first; a larger pool must win by more
		# than 3% (noise) to be worth its extra backends.
		if [ "$rps" -gt $((best * 103 / 100)) ]; then
			best=$rps
			PG_CONNS=$n
		fi
	done
fi
start_server "$PG_CONNS"
log "bench: WORKERS=$WORKERS PG_CONNS=$PG_CONNS"
rss_start=$(worker_rss)

ceiling healthz /healthz
if want me; then
	scenario me /v1/me --vs pg_me "${auth[@]}"
	baseline pg_me bench/me.sql
	half=$(($(best_rps me) / 2))
	paced "me@half-peak" /v1/me "$half" --vs pg_me "${auth[@]}"
fi

# Events, read without a token as the public apps do.
if want events; then
	scenario events "/v1/events?limit=50" --vs pg_events
	baseline pg_events bench/events.sql
	scenario event /v1/events/e0000000-0000-4000-8000-000000000003 --vs pg_event
	baseline pg_event bench/event.sql
	# The framework peer on the same database and CPUs (bench/peer).
	start_peer e0000000-0000-4000-8000-000000000003
	scenario peer_one "$peer_base/one"
	scenario peer_fifty "$peer_base/fifty"
	stop_peer
fi

# The public catalogue over 20,000 products (bench/catalogue-seed.sql):
# a Thai word inside descriptions, and a product image (demo PNG).
if want catalogue; then
	scenario catalogue "/v1/products?q=%E0%B8%A5%E0%B8%B2%E0%B8%A2%E0%B8%99%E0%B9%89%E0%B8%B3%E0%B9%84%E0%B8%AB%E0%B8%A5&limit=20" --vs pg_catalogue
	baseline pg_catalogue bench/catalogue.sql
	scenario image /v1/products/f1000000-0000-4000-8000-000000000011/images/1 \
	    --vs pg_image
	baseline pg_image bench/image.sql
fi

# A 5,000-row registrations import (target: under 10 s), into an event
# made for it so the seats do not run out. Expect: off, as Kore does not
# answer 100-continue.
ORG_TOKEN=$(get_token organizer) || die "could not get a token for organizer"
if want import; then
	ev=$(curl -s -X POST "$base/v1/events" -H "Authorization: Bearer $ORG_TOKEN" \
	    -H 'Content-Type: application/json' -d '{"title":"การนำเข้าทดสอบความเร็ว",
	    "kind":"seminar","starts_at":"2030-01-07T09:00:00+07:00",
	    "ends_at":"2030-01-07T16:00:00+07:00","capacity":6000,
	    "venue":{"name":"ห้องประชุม","province_code":"52"}}' |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
	    die "could not create the import event"
	curl -s -o /dev/null -X PATCH "$base/v1/events/$ev" -H 'If-Match: *' \
	    -H "Authorization: Bearer $ORG_TOKEN" -H 'Content-Type: application/json' \
	    -d '{"status":"published"}'
	python3 bench/import-csv.py 5000 >"$tmp/import.csv"
	import_line=$(curl -s -o "$tmp/out/import.json" -w '%{http_code} %{time_total}' \
	    -X POST "$base/v1/events/$ev/registrations/import" -H 'Expect:' \
	    -H "Authorization: Bearer $ORG_TOKEN" -H 'Content-Type: text/csv' \
	    --data-binary @"$tmp/import.csv")
	import_summary=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"])' \
	    "$tmp/out/import.json" 2>/dev/null || echo "?")
	sleep 1		# the server hands memory back 100 ms after a big request
fi

rss=$(worker_rss)

# Check-in at the door (POST /v1/checkins): an event open now with
# CHECKIN_TICKETS confirmed registrations (CSV imports of 5,000), each
# ticket fetched as the app would, then scanned by wrk (bench/checkin.lua:
# a nonce per request, every 16th scan a ticket every thread scans again),
# paced at half the peak, and checked against the database. pgbench runs
# the same statement on a second event with copies of the registrations.
if want checkin; then
	CHECKIN_TICKETS=${CHECKIN_TICKETS:-60000}
	CHECKIN_CONNS=${CHECKIN_CONNS:-64}
	if [ $((CHECKIN_TICKETS % 5000)) -ne 0 ] || [ "$CHECKIN_TICKETS" -le 0 ]; then
		die "CHECKIN_TICKETS must be a multiple of 5000"
	fi
	t_ck=$SECONDS
	ck_ev=$(new_event "เช็กอินทดสอบความเร็ว" $((CHECKIN_TICKETS + 1000)) "$ORG_TOKEN")
	import_people "$ck_ev" "$CHECKIN_TICKETS" 4000 "$ORG_TOKEN"
	log "bench: RSS after the check-in imports: $(worker_rss | tr '\n' ' ')"
	t_tk=$SECONDS
	event_tickets "$ck_ev" "$CHECKIN_TICKETS" "$TOKEN" "$tmp/checkin-tokens"
	log "bench: fetched $CHECKIN_TICKETS tickets in $((SECONDS - t_tk)) s"
	# pgbench's event: the same people, registered by SQL.
	pg_ev=$(new_event "เช็กอินทดสอบ pgbench" $((CHECKIN_TICKETS + 1000)) "$ORG_TOKEN")
	psql -X -q -d "$DATABASE_URL" -v ON_ERROR_STOP=1 >/dev/null <<-SQL ||
	insert into registration (event_id, participant_id, target_group, status, source)
	select '$pg_ev', participant_id, target_group, 'confirmed', 'import'
	from registration where event_id = '$ck_ev' and status = 'confirmed';
	create table bench_ticket (n int primary key, reg uuid not null,
	    ver int not null, hash text not null);
	insert into bench_ticket
	select row_number() over (order by id), id, ticket_version, md5(id::text)
	from registration where event_id = '$pg_ev';
	create sequence bench_ticket_seq;
	analyze registration; analyze bench_ticket;
	SQL
	    die "could not make pgbench's registrations"
	log "bench: check-in setup ($CHECKIN_TICKETS tickets) took $((SECONDS - t_ck)) s"

	mkdir "$tmp/checkin"
	export CHECKIN_TOKENS=$tmp/checkin-tokens CHECKIN_STATE=$tmp/checkin
	export CHECKIN_EVENT=$ck_ev CHECKIN_AUTH=$TOKEN CHECKIN_THREADS=$BENCH_THREADS
	# shellcheck disable=SC2034  # read by name (@PG_EVENT@, @PG_TICKETS@)
	B_PG_EVENT=$pg_ev
	# shellcheck disable=SC2034
	B_PG_TICKETS=$CHECKIN_TICKETS
	# Each run, the API's and pgbench's, starts just after a checkpoint:
	# the first writes to each page after one carry the whole page into
	# the WAL, so whichever run came first after a checkpoint (timed, every
	# 5 minutes, which in the full bench falls about here) paid for both.
	BEFORE_RUN=checkpoint
	BENCH_CONNS=$CHECKIN_CONNS scenario checkin /v1/checkins --vs pg_checkin \
	    -s bench/checkin.lua
	baseline pg_checkin bench/checkin.sql
	ck_half=$(($(best_rps checkin) / 2))
	CHECKIN_PACED=1 PACED_SCRIPT=bench/checkin.lua paced "checkin@half-peak" \
	    /v1/checkins "$ck_half" --vs pg_checkin
	# The database alone at the same rate: the floor under that p99.
	baseline "pg_checkin@half-peak" bench/checkin.sql "" "$ck_half"
	BEFORE_RUN=
	# At least 20,000 scans in all: a top-up run (not in the table) if the
	# runs above made fewer.
	# At least 20,000 scans in all: top-up runs (not in the table) while
	# the runs above made fewer.
	for _ in 1 2 3 4 5; do
		ck_left=$(( 20000 - $(awk '{ s += $1 } END { print s + 0 }' "$tmp/checkin/tally") ))
		[ "$ck_left" -gt 0 ] || break
		ck_s=$(( ck_left / ($(best_rps checkin) + 1) + 2 ))
		log "bench: check-in top-up, $ck_left more scans (${ck_s} s)"
		run_wrk "$tmp/out/wrk-checkin-topup.txt" "$CHECKIN_CONNS" "$ck_s" \
		    /v1/checkins -s bench/checkin.lua
	done
	# Scan results are not errors: the note gives the answers instead.
	ck_note() {
		sed -n 's/^checkin: sent [0-9]* answered [0-9]*: //p' "$1" | tail -n 1
	}
	awk -F'\t' -v OFS='\t' -v a="$(ck_note "$tmp/out/wrk-checkin-c$CHECKIN_CONNS.txt")" \
	    -v b="$(ck_note "$tmp/out/paced-checkin_half-peak.txt")" -v r="$ck_half" '
	    $1 == "scenario" && $2 == "checkin" { $8 = a }
	    $1 == "paced" && $2 == "checkin@half-peak" { $8 = "target " r "/s: " b }
	    { print }' "$tmp/results" >"$tmp/results.new"
	mv "$tmp/results.new" "$tmp/results"

	# The database against what wrk saw, over every run (warm-ups too).
	cat "$tmp"/checkin/ids-* >"$tmp/checkin-201-ids"
	read -r ck_sent ck_got ck_201 ck_409 ck_200 ck_other <<<"$(awk '
	    { for (i = 1; i <= 6; i++) s[i] += $i }
	    END { print s[1] + 0, s[2] + 0, s[3] + 0, s[4] + 0, s[5] + 0, s[6] + 0 }' \
	    "$tmp/checkin/tally")"
	ck_db=$(psql -X -q -At -F ' ' -d "$DATABASE_URL" -v ON_ERROR_STOP=1 <<-SQL
	create temp table seen (id text);
	\copy seen from '$tmp/checkin-201-ids'
	select
	  (select count(*) from seen),
	  (select count(distinct id) from seen),
	  (select count(*) from seen s join checkin c on c.id::text = s.id
	   and c.result = 'checked_in' and c.state = 'effective'),
	  (select count(*) from checkin where event_id = '$ck_ev'
	   and result = 'checked_in'),
	  (select count(distinct registration_id) from checkin
	   where event_id = '$ck_ev' and result = 'checked_in'),
	  (select count(*) from checkin where event_id = '$ck_ev'),
	  (select count(*) from (select registration_id from checkin
	   where event_id = '$ck_ev' group by registration_id
	   having count(*) > 1) d),
	  (select count(*) from checkin where event_id = '$ck_ev'
	   and result = 'already_checked_in');
	SQL
	) || die "could not count the check-ins"
	read -r db_seen db_seen_distinct db_matched db_in db_in_regs db_rows db_dup_regs db_already <<<"$ck_db"
	sleep 1
	rss_ck=$(worker_rss)
fi

# Attendance statistics over a seeded year (77 provinces x STATS_EVENTS
# x STATS_REGS, by SQL), last: 3,850 more events would slow the public
# events list above. As an admin: counted once (cold, timed here), then
# served from stats_cache while the server counts it again in the
# background: with NGAN_STATS_TTL=STATS_TTL (5 s) that is every few
# seconds of the run, so the p99 includes readers during recounts.
if want stats; then
	t_seed=$SECONDS
	psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -v events="${STATS_EVENTS:-50}" \
	    -v regs="${STATS_REGS:-200}" -f bench/stats-seed.sql ||
	    die "could not seed the statistics year"
	stats_regs=$(psql -X -q -At -d "$DATABASE_URL" -c "select count(*) from registration r
	    join event e on e.id = r.event_id where e.fiscal_year_be = 2575")
	log "bench: seeded $stats_regs registrations for the statistics in $((SECONDS - t_seed)) s"
	STATS_PATH="/v1/stats/attendance?fiscal_year_be=2575&group_by=province"
	STATS_TTL=${STATS_TTL:-5}
	NGAN_STATS_TTL=$STATS_TTL start_server "$PG_CONNS"
	# A fresh token: the first may be near its 15 minutes by now.
	TOKEN=$(get_token admin) || die "could not get a token for admin"
	auth=(-H "Authorization: Bearer $TOKEN")
	stats_cold=$(curl -s -o "$tmp/out/stats.json" -w '%{http_code} %{time_total}' \
	    "${auth[@]}" "$base$STATS_PATH")
	stats_at0=$(psql -X -q -At -d "$DATABASE_URL" -c "select max(computed_at) from stats_cache")
	BENCH_CONNS=${STATS_CONNS:-64} scenario stats "$STATS_PATH" "${auth[@]}"
	# The recount started during the run finishes a little later.
	for ((i = 0; i < 60; i++)); do
		stats_recounted=$(psql -X -q -At -d "$DATABASE_URL" -c "select
		    round(extract(epoch from max(computed_at) -
		    '$stats_at0'::timestamptz)) from stats_cache")
		[ "${stats_recounted:-0}" = 0 ] || break
		sleep 1
	done
fi

# Certificates (issue 20): an event of CERT_PEOPLE people, all checked in
# (by SQL), their certificates issued in one call (timed), then one
# certificate's PDF drawn again and again: certificates per second, and
# the workers' resident memory after; then their ZIP, built by
# ngan-certzip: seconds, and its peak resident memory.
if want certificates; then
	CERT_PEOPLE=${CERT_PEOPLE:-2000}
	ct_ev=$(new_event "เกียรติบัตรทดสอบความเร็ว" $((CERT_PEOPLE + 100)) "$ORG_TOKEN")
	python3 bench/import-csv.py "$CERT_PEOPLE" 9001 >"$tmp/cert-people.csv"
	code=$(curl -s -o "$tmp/out/cert-import.json" -w '%{http_code}' \
	    -X POST "$base/v1/events/$ct_ev/registrations/import" -H 'Expect:' \
	    -H "Authorization: Bearer $ORG_TOKEN" -H 'Content-Type: text/csv' \
	    --data-binary @"$tmp/cert-people.csv")
	[ "$code" = 200 ] || die "the certificates' import answered $code"
	psql -X -q -d "$DATABASE_URL" -v ON_ERROR_STOP=1 >/dev/null <<-SQL ||
	insert into checkin (event_id, registration_id, direction, state, result,
	    scanned_at, nonce, status, answer)
	select event_id, id, 'in', 'effective', 'checked_in',
	    now() - interval '10 minutes', 'bench-' || id, 201, '{}'
	from registration where event_id = '$ct_ev' and status = 'confirmed';
	SQL
	    die "could not check the certificates' people in"
	cert_line=$(curl -s -o "$tmp/out/certs.json" -w '%{http_code} %{time_total}' \
	    -X POST "$base/v1/events/$ct_ev/certificates" \
	    -H 'Content-Type: application/json' -d '{}' \
	    -H "Authorization: Bearer $ORG_TOKEN")
	cert_issued=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issued"])' \
	    "$tmp/out/certs.json" 2>/dev/null || echo "?")
	ct_reg=$(psql -X -q -At -d "$DATABASE_URL" -c "select registration_id
	    from certificate where event_id = '$ct_ev' limit 1")
	[ -n "$ct_reg" ] || die "no certificate was issued: $cert_line"
	scenario certificate_pdf "/v1/registrations/$ct_reg/certificate.pdf" "${auth[@]}"
	sleep 1		# the server hands memory back 100 ms after a big request
	rss_cert=$(worker_rss)

	# The same people's ZIP (POST .../certificates/zip), built by
	# ngan-certzip: the seconds from the call to done, and the builder's
	# peak resident memory (the issue's bound: 30 MB for 2,000).
	NGAN_CERT_ZIP_DIR=$tmp/zips start_certzip "$root/build/ngan-certzip" \
	    "$tmp/server.log" "$tmp/certzip.pid"
	zip_t0=$(date +%s.%N)
	code=$(curl -s -o "$tmp/out/zip.json" -w '%{http_code}' -X POST \
	    "$base/v1/events/$ct_ev/certificates/zip" \
	    -H 'Content-Type: application/json' -d '{}' \
	    -H "Authorization: Bearer $ORG_TOKEN")
	[ "$code" = 202 ] ||
	    die "the ZIP was not queued (HTTP $code): $(cat "$tmp/out/zip.json")"
	zip_job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
	    "$tmp/out/zip.json")
	zip_state=queued
	for ((i = 0; i < 1200; i++)); do
		zip_state=$(curl -s "$base/v1/jobs/$zip_job" \
		    -H "Authorization: Bearer $ORG_TOKEN" |
		    python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
		case $zip_state in done | failed) break ;; esac
		sleep 0.5
	done
	zip_s=$(awk -v a="$zip_t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	zip_pid=$(tr -dc 0-9 <"$tmp/certzip.pid")
	zip_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$zip_pid/status")
	# Its CPU seconds (user + system): the cost, whatever else runs.
	zip_cpu=$(awk -v t="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$zip_pid/stat")
	stop_certzip "$tmp/certzip.pid"
fi

# Registrations per second with the outbox off and on, in the same run
# (issue 19; target: on >= 80% of off), each into an event of its own,
# by staff with the person inline (bench/register.lua; a person
# registering themselves meets per-address limits first). Off: no
# webhook endpoint and no delivery, so a registration writes no outbox
# row. On: a partner's endpoint that wants registration.created, so each
# registration writes an outbox row in its transaction (the feed's
# trigger), and build/ngan-outbox running meanwhile, signing and POSTing
# them to a receiver on loopback.
if want outbox; then
	REG_CONNS=${REG_CONNS:-32}
	# Events tomorrow, open for registration (new_event's have begun).
	reg_event() {
		local id
		id=$(curl -fsS -X POST "$base/v1/events" \
		    -H "Authorization: Bearer $ORG_TOKEN" \
		    -H 'Content-Type: application/json' -d "{\"title\":\"$1\",
		    \"kind\":\"seminar\",\"starts_at\":\"$(date -u -d '+1 day' +%FT%TZ)\",
		    \"ends_at\":\"$(date -u -d '+1 day 3 hour' +%FT%TZ)\",
		    \"capacity\":100000,
		    \"venue\":{\"name\":\"ห้องประชุม\",\"province_code\":\"52\"}}" |
		    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
		    die "could not create the event $1"
		curl -fsS -o /dev/null -X PATCH "$base/v1/events/$id" \
		    -H 'If-Match: *' -H "Authorization: Bearer $ORG_TOKEN" \
		    -H 'Content-Type: application/json' \
		    -d '{"status":"published"}' || die "could not publish $1"
		echo "$id"
	}
	reg_off=$(reg_event "ลงทะเบียน outbox ปิด")
	reg_on=$(reg_event "ลงทะเบียน outbox เปิด")
	# One by hand first: the script's request must be a 201.
	wrk_one=$tmp/out/register-one.txt
	wrk -t1 -c1 -d1s -H "Authorization: Bearer $ORG_TOKEN" \
	    -s bench/register.lua "$base/v1/events/$reg_off/registrations" \
	    -- debug >"$wrk_one" 2>&1 || die "wrk failed"
	if grep -q 'Non-2xx' "$wrk_one"; then
		die "bench/register.lua: $(grep 'register.lua:' "$wrk_one")"
	fi
	BENCH_CONNS=$REG_CONNS scenario register_outbox_off \
	    "/v1/events/$reg_off/registrations" \
	    -H "Authorization: Bearer $ORG_TOKEN" -s bench/register.lua

	hook_port=$(free_port)
	node -e 'require("http").createServer((q, s) => { q.resume();
	    q.on("end", () => { s.writeHead(200); s.end(); }); })
	    .listen(Number(process.argv[1]), "127.0.0.1");' "$hook_port" \
	    >>"$tmp/hook.log" 2>&1 &
	hook_pid=$!
	client=$(curl -fsS -X POST "$base/v1/partner-clients" "${auth[@]}" \
	    -H 'Content-Type: application/json' \
	    -d '{"name":"bench webhooks","scopes":["feed:read"]}') ||
	    die "could not make a partner client"
	read -r cid csecret <<<"$(python3 -c 'import json, sys
c = json.load(sys.stdin); print(c["client_id"], c["client_secret"])' <<<"$client")"
	ctoken=$(curl -fsS -X POST "$base/v1/auth/token" \
	    -H 'Content-Type: application/json' \
	    -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$cid\",\"client_secret\":\"$csecret\"}" |
	    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') ||
	    die "could not get the partner client's token"
	wait_http "http://127.0.0.1:$hook_port/" 10 "$hook_pid" ||
	    die "the webhook receiver did not start"
	curl -fsS -o /dev/null -X POST "$base/v1/webhooks" \
	    -H "Authorization: Bearer $ctoken" -H 'Content-Type: application/json' \
	    -d "{\"url\":\"http://127.0.0.1:$hook_port/hook\",\"kinds\":[\"registration.created\"]}" ||
	    die "could not register the webhook endpoint"
	outbox_pidfile=$tmp/outbox.pid
	NGAN_MESSAGES=off start_outbox build/ngan-outbox "$tmp/outbox.log" \
	    "$outbox_pidfile"
	BENCH_CONNS=$REG_CONNS scenario register_outbox_on \
	    "/v1/events/$reg_on/registrations" \
	    -H "Authorization: Bearer $ORG_TOKEN" -s bench/register.lua
	# How far the delivery had got, and how long it took to catch up.
	ob_at_end=$(psql -X -q -At -d "$DATABASE_URL" -c "select count(*)
	    from outbox where channel = 'webhook' and status = 'pending'")
	t_drain=$SECONDS
	for _ in $(seq 1 600); do
		ob_left=$(psql -X -q -At -d "$DATABASE_URL" -c "select count(*)
		    from outbox where channel = 'webhook' and status = 'pending'")
		[ "$ob_left" -gt 0 ] || break
		sleep 0.1
	done
	ob_summary=$(psql -X -q -At -F ' ' -d "$DATABASE_URL" -c "select
	    count(*) filter (where status = 'sent'),
	    count(*) filter (where status = 'dead'),
	    count(*) filter (where status = 'pending'),
	    (select count(*) from registration where event_id = '$reg_on')
	    from outbox where channel = 'webhook'")
	ob_drain=$((SECONDS - t_drain))
	stop_outbox "$outbox_pidfile"
	kill "$hook_pid" 2>/dev/null || true
	wait "$hook_pid" 2>/dev/null || true
	hook_pid=
fi

# ------------------------------------------------------------ the table

ceil=$(awk -F'\t' '$1 == "ceiling" && $4 > m { m = $4 } END { print m + 0 }' \
    "$tmp/results")
echo
echo "ngan bench: WORKERS=$WORKERS PG_CONNS=$PG_CONNS, wrk -t$BENCH_THREADS ${BENCH_DURATION}s per row after ${BENCH_WARMUP}s warm-up, $(nproc) CPUs, loopback"
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (anything else running shares these CPUs)"
[ -z "$probe_note" ] || echo "pool probe (/v1/me -c64, ${BENCH_PROBE_DURATION}s):$probe_note"
awk -F'\t' -v ceil="$ceil" -v resf="$tmp/results" '
BEGIN {
	while ((getline l < resf) > 0) {
		split(l, f, "\t")
		if (f[1] == "baseline") base[f[2]] = f[4]
	}
	fmt = "%-16s %5s %9s %8s %8s %8s %9s  %s\n"
	printf fmt, "scenario", "conns", "req/s", "p50 ms", "p99 ms", "/healthz", "/pgbench", "note"
}
{
	vh = (ceil > 0) ? sprintf("%.2f", $4 / ceil) : "-"
	vb = "-"
	if ($7 != "-" && ($7 in base) && base[$7] > 0) vb = sprintf("%.2f", $4 / base[$7])
	name = $2
	if ($1 ~ /baseline$/) { name = $2 " (pgbench)"; vh = "-" }
	if ($1 == "paced-baseline") vb = "-"
	# A paced row runs at the rate it was given: no ratios.
	if ($1 == "paced") { vh = "-"; vb = "-" }
	note = $8
	if ($1 == "ceiling") note = (note == "" ? "" : note " ") "framework ceiling"
	printf fmt, name, $3, $4, sprintf("%.2f", $5), sprintf("%.2f", $6), vh, vb, note
}' "$tmp/results"

echo
if want me; then
	me_best=$(best_rps me)
	pg_tps=$(best_rps pg_me)
	p99_half=$(awk -F'\t' '$1 == "paced" && $2 == "me@half-peak" { print $6 }' "$tmp/results")
	awk -v m="$me_best" -v p="$pg_tps" 'BEGIN {
		r = (p > 0) ? m / p : 0
		printf "/v1/me peak %d req/s = %.0f%% of pgbench prepared %d tps (target >= 50%%): %s\n",
		    m, r * 100, p, (r >= 0.5) ? "ok" : "MISSED"
	}'
	awk -v v="$p99_half" -v h="$half" 'BEGIN {
		printf "/v1/me p99 at about half peak (%d req/s): %.2f ms (target < 20 ms): %s\n",
		    h, v, (v < 20) ? "ok" : "MISSED"
	}'
fi
if want events; then
	# Issue 17, item 2: the public reads against the framework peer.
	for pair in "event peer_one one event" "events peer_fifty list of 50"; do
		read -r ours theirs what <<<"$pair"
		awk -v o="$(best_rps "$ours")" -v t="$(best_rps "$theirs")" \
		    -v w="$what" 'BEGIN {
			r = (t > 0) ? o / t : 0
			printf "%s: %d req/s = %.2fx Fastify + pg (%d req/s) (target >= 2x): %s\n",
			    w, o, r, t, (r >= 2) ? "ok" : "MISSED"
		}'
	done
fi
while read -r name kb hwm; do
	[ -n "$name" ] || continue
	k0=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$rss_start")
	awk -v n="$name" -v k="$kb" -v h="$hwm" -v k0="${k0:-0}" 'BEGIN {
		printf "RSS %s after the runs: %.1f MB (%.1f MB at start, peak %.1f MB) (target < 30 MB): %s\n",
		    n, k / 1024, k0 / 1024, h / 1024, (k < 30 * 1024) ? "ok" : "MISSED"
	}'
done <<<"$rss"
[ -n "$rss" ] || echo "RSS: no kore worker found"
if want import; then
	read -r import_code import_s <<<"$import_line"
	awk -v c="$import_code" -v t="$import_s" -v s="$import_summary" 'BEGIN {
		printf "import of 5000 CSV rows: HTTP %s in %.2f s %s (target < 10 s): %s\n",
		    c, t, s, (c == 200 && t < 10) ? "ok" : "MISSED"
	}'
fi
if want stats; then
	read -r stats_code stats_s <<<"$stats_cold"
	stats_p99=$(awk -F'\t' '$1 == "scenario" && $2 == "stats" && $6 > m { m = $6 } END { print m + 0 }' \
	    "$tmp/results")
	awk -v n="$stats_regs" -v p="$stats_p99" -v c="$stats_code" -v s="$stats_s" \
	    -v ttl="$STATS_TTL" -v rc="${stats_recounted:-?}" 'BEGIN {
		printf "stats over a year of %d registrations (77 provinces, group_by=province): p99 %.2f ms (target < 200 ms): %s; counted cold in %.0f ms (HTTP %s), then kept and counted again in the background (NGAN_STATS_TTL=%d: a recount began %s s after the first count)\n",
		    n, p, (p > 0 && p < 200 && c == 200) ? "ok" : "MISSED", s * 1000, c, ttl, rc
	}'
fi
if want certificates; then
	read -r cert_code cert_s <<<"$cert_line"
	awk -v n="$cert_issued" -v c="$cert_code" -v s="$cert_s" -v p="$CERT_PEOPLE" \
	    -v r="$(best_rps certificate_pdf)" 'BEGIN {
		printf "certificates: %s of %d people issued in one call in %.1f s (HTTP %s); PDFs drawn at %d per second (one certificate, its bytes the same each time)\n",
		    n, p, s, c, r
	}'
	while read -r name kb hwm; do
		[ -n "$name" ] || continue
		awk -v n="$name" -v k="$kb" -v h="$hwm" 'BEGIN {
			printf "RSS %s after the certificates: %.1f MB (peak %.1f MB) (target < 30 MB): %s\n",
			    n, k / 1024, h / 1024, (k < 30 * 1024) ? "ok" : "MISSED"
		}'
	done <<<"$rss_cert"
	awk -v p="$CERT_PEOPLE" -v s="$zip_s" -v st="$zip_state" -v h="$zip_hwm" \
	    -v c="$zip_cpu" 'BEGIN {
		printf "certificate ZIP of %d people: %s in %.1f s (%.0f a second; the builder used %.1f CPU seconds), ngan-certzip peak RSS %.1f MB (target < 30 MB): %s\n",
		    p, st, s, (s > 0) ? p / s : 0, c, h / 1024, (st == "done" && h < 30 * 1024) ? "ok" : "MISSED"
	}'
fi
if want checkin; then
	ck_best=$(best_rps checkin)
	ck_pg=$(best_rps pg_checkin)
	ck_p99=$(awk -F'\t' '$1 == "paced" && $2 == "checkin@half-peak" { print $6 }' "$tmp/results")
	awk -v m="$ck_best" -v p="$ck_pg" 'BEGIN {
		r = (p > 0) ? m / p : 0
		printf "check-in peak %d req/s = %.0f%% of pgbench prepared %d tps (target >= 70%%): %s\n",
		    m, r * 100, p, (r >= 0.7) ? "ok" : "MISSED"
	}'
	ck_pg_p99=$(awk -F'\t' '$1 == "paced-baseline" && $2 == "pg_checkin@half-peak" { print $6 }' "$tmp/results")
	awk -v v="$ck_p99" -v h="$ck_half" -v b="$ck_pg_p99" 'BEGIN {
		printf "check-in p99 at about half peak (%d req/s): %.2f ms (target < 20 ms): %s; pgbench alone at that rate: %.2f ms\n",
		    h, v, (v < 20) ? "ok" : "MISSED", b
	}'
	while read -r name kb hwm; do
		[ -n "$name" ] || continue
		awk -v n="$name" -v k="$kb" -v h="$hwm" 'BEGIN {
			printf "RSS %s after the check-in setup (more imports) and runs: %.1f MB (peak %.1f MB) (target < 30 MB): %s\n",
			    n, k / 1024, h / 1024, (k < 30 * 1024) ? "ok" : "MISSED"
		}'
	done <<<"$rss_ck"
	echo "check-in scans by wrk (warm-ups included): $ck_sent sent, $ck_got answered: 201 $ck_201, 409 $ck_409, 200 $ck_200, other $ck_other"
	ck_ok=ok
	[ "$ck_sent" -ge 20000 ] && [ "$ck_200" -eq 0 ] && [ "$ck_other" -eq 0 ] || ck_ok=MISSED
	echo "  at least 20000 scans, unique nonces (no 200 replay), no other status: $ck_ok"
	ck_ok=ok
	[ "$db_seen" -eq "$ck_201" ] && [ "$db_seen_distinct" -eq "$db_seen" ] &&
	    [ "$db_matched" -eq "$db_seen" ] || ck_ok=MISSED
	echo "  every 201 is in the database once (checkin_id, result checked_in): $db_matched of $ck_201: $ck_ok"
	ck_cut=$((ck_sent - ck_got))
	ck_ok=ok
	[ "$db_in" -ge "$db_matched" ] && [ $((db_in - db_matched)) -le "$ck_cut" ] || ck_ok=MISSED
	echo "  rows checked_in $db_in = $db_matched seen + $((db_in - db_matched)) answered after wrk stopped (<= $ck_cut unanswered): $ck_ok"
	ck_ok=ok
	[ "$db_in" -eq "$db_in_regs" ] && [ "$db_dup_regs" -gt 0 ] || ck_ok=MISSED
	echo "  one check-in per ticket: $db_in rows for $db_in_regs tickets; $db_dup_regs tickets scanned more than once ($db_already already_checked_in rows, $db_rows scans logged): $ck_ok"
fi
if want outbox; then
	awk -v on="$(best_rps register_outbox_on)" -v off="$(best_rps register_outbox_off)" 'BEGIN {
		r = (off > 0) ? on / off : 0
		printf "registrations with the outbox on: %d/s = %.0f%% of off (%d/s) (target >= 80%%): %s\n",
		    on, r * 100, off, (r >= 0.8) ? "ok" : "MISSED"
	}'
	read -r ob_sent ob_dead ob_pending ob_regs <<<"$ob_summary"
	echo "  webhooks for the $ob_regs registrations of the on run (warm-up included): $ob_sent sent, $ob_dead dead, $ob_pending pending; $ob_at_end were waiting when wrk stopped, all out ${ob_drain} s later"
fi
echo "total time $((SECONDS - t0)) s"
