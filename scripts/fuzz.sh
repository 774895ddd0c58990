#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target (build-fuzz/fuzz-NAME) for
# FUZZ_SECONDS (60) from its committed seeds (tests/fuzz/corpus/NAME) with
# its dictionary (tests/fuzz/NAME.dict). New inputs go to
# build-fuzz/corpus/NAME (not committed); a crash is saved as
# build-fuzz/crash-NAME-* and fails the run: turn it into a unit test
# (tests/unit/test_<module>.c) when fixing it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

secs=${FUZZ_SECONDS:-60}
# Targets run side by side, one a core (FUZZ_JOBS): each is one process.
jobs=${FUZZ_JOBS:-$(nproc)}
[ $# -gt 0 ] || die "usage: fuzz.sh TARGET..."

# Runs target $1 and leaves its exit status in build-fuzz/fuzz-$1.rc.
fuzz_one() {
	local t=$1 dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	set +e
	"build-fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
	    "${dict[@]}" -artifact_prefix="build-fuzz/crash-$t-" \
	    "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" \
	    >"build-fuzz/fuzz-$t.log" 2>&1
	echo "$?" >"build-fuzz/fuzz-$t.rc"
}

for t in "$@"; do
	[ -x "build-fuzz/fuzz-$t" ] || die "build-fuzz/fuzz-$t missing: run make fuzz-build"
	mkdir -p "build-fuzz/corpus/$t"
	rm -f "build-fuzz/fuzz-$t.rc"
done
running=0
for t in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	echo "== fuzz $t (${secs}s)"
	fuzz_one "$t" &
	running=$((running + 1))
done
wait

status=0
for t in "$@"; do
	rc=$(cat "build-fuzz/fuzz-$t.rc" 2>/dev/null || echo 1)
	echo "== fuzz $t: status $rc"
	grep -E '^stat::(number_of_executed_units|new_units_added)' \
	    "build-fuzz/fuzz-$t.log" | tr '\n' ' ' || true
	echo
	if [ "$rc" -ne 0 ]; then
		echo "fuzz $t FAILED (status $rc):"
		grep -E -A30 'ERROR|SUMMARY|runtime error|deadly signal' \
		    "build-fuzz/fuzz-$t.log" | head -n 60
		status=1
	fi
done
exit "$status"
