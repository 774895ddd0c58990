#!/usr/bin/env bash
# make soak: a mixed workload (event reads, /v1/me, check-ins,
# registrations; bench/soak.mjs holds the mix) at a fixed rate for
# SOAK_SECONDS against the real server and a throwaway cluster (the
# setup of make bench, bench/setup.sh). Reports per route the count,
# errors and p50/p99, and each worker's resident memory at the start and
# the end. Fails on any error or on a worker growing by 10% or more.
#
# Environment: SOAK_SECONDS [300], SOAK_RATE [150 req/s, what this 2-core
# machine holds with room], WORKERS [2], PG_CONNS [4], SOAK_TICKETS [5000,
# a multiple of 5000; scanned in turn, again once all are used: those
# rescans must answer 409 already_checked_in].
set -euo pipefail
# shellcheck source=../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd_root
root=$PWD

WORKERS=${WORKERS:-2}
PG_CONNS=${PG_CONNS:-4}
SOAK_SECONDS=${SOAK_SECONDS:-300}
SOAK_RATE=${SOAK_RATE:-150}
SOAK_TICKETS=${SOAK_TICKETS:-5000}
if [ ! -f build/ngan.so ] || [ ! -x build/ngan-passwd ]; then
	die "build/ngan.so or build/ngan-passwd missing: run make build (make soak does)"
fi
for t in node curl python3 psql; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (run scripts/deps.sh)"
done

BENCH_NAME=soak
. bench/setup.sh
start_server "$PG_CONNS"
log "soak: setup $((SECONDS - t0)) s"

ADMIN=$(get_token admin) || die "no admin token"
ORG=$(get_token organizer) || die "no organizer token"

ck_ev=$(new_event "เช็กอินทดสอบยืนนาน" $((SOAK_TICKETS + 100)) "$ORG")
reg_ev=$(new_event "ลงทะเบียนทดสอบยืนนาน" 100000 "$ORG")
import_people "$ck_ev" "$SOAK_TICKETS" 7000 "$ORG"
event_tickets "$ck_ev" "$SOAK_TICKETS" "$ADMIN" "$tmp/tickets"
log "soak: $(wc -l <"$tmp/tickets") tickets; setup done in $((SECONDS - t0)) s"

sleep 1
rss_start=$(worker_rss)
status=0
SOAK_BASE=$base SOAK_RATE=$SOAK_RATE SOAK_SECONDS=$SOAK_SECONDS \
    SOAK_ADMIN=$ADMIN SOAK_ORG=$ORG SOAK_EVENT=$ck_ev SOAK_REG_EVENT=$reg_ev \
    SOAK_TICKETS=$tmp/tickets node bench/soak.mjs || status=1
server_alive
sleep 1		# the server hands memory back 100 ms after a big request
rss_end=$(worker_rss)

echo "worker	rss_start_kb	rss_end_kb	growth"
while read -r name rss _; do
	end=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$rss_end")
	if [ -z "$end" ]; then
		echo "$name	$rss	gone"
		status=1
		continue
	fi
	growth=$(awk -v a="$rss" -v b="$end" 'BEGIN { printf "%.1f%%", (b - a) * 100 / a }')
	echo "$name	$rss	$end	$growth"
	if [ $((end * 10)) -ge $((rss * 11)) ]; then
		echo "soak: $name grew by $growth (limit 10%)"
		status=1
	fi
done <<<"$rss_start"
[ "$status" -eq 0 ] && echo "soak: ok" || echo "soak: FAILED"
exit "$status"
