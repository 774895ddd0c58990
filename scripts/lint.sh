#!/usr/bin/env bash
# make lint: banned C calls, clang-format (.clang-format, Kore/OpenBSD
# style as far as clang-format can say it) and shell syntax.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
shopt -s nullglob
fail=0

# (a) Calls banned as in curl: unbounded or unchecked. snprintf, fgets,
# strtok_r and friends do not match (\b before the name, "(" right after).
banned='\b(sprintf|strcat|strcpy|strncpy|strtok|gets|atoi)[[:space:]]*\('
c_files=(api/*.c api/*.h tools/*.c tools/*.h tests/unit/*.c tests/unit/*.h)
if [ ${#c_files[@]} -gt 0 ] && hits=$(grep -nE "$banned" "${c_files[@]}"); then
	echo "lint: banned calls (use snprintf, kore_buf, strtol with checks):"
	printf '%s\n' "$hits"
	fail=1
fi

# (b) Formatting. `clang-format -i api/*.c api/*.h tools/*.c` fixes it.
fmt_files=(api/*.c api/*.h tools/*.c)
if [ ${#fmt_files[@]} -gt 0 ]; then
	command -v clang-format >/dev/null 2>&1 ||
	    die "clang-format not found (run scripts/deps.sh)"
	if ! clang-format --dry-run -Werror "${fmt_files[@]}" 2>"${TMPDIR:-/tmp}/ngan-lint.$$"; then
		grep -E '^[^ ].*(error|warning):' "${TMPDIR:-/tmp}/ngan-lint.$$" |
		    cut -d: -f1 | sort | uniq -c |
		    awk '{ printf "lint: %s: %d formatting difference(s)\n", $2, $1 }'
		echo "lint: run: clang-format -i ${fmt_files[*]}"
		fail=1
	fi
	rm -f "${TMPDIR:-/tmp}/ngan-lint.$$"
fi

# (c) Shell scripts parse.
for f in scripts/*.sh .ci/run; do
	bash -n "$f" || fail=1
done

if [ "$fail" -ne 0 ]; then
	echo "lint: failed"
	exit 1
fi
echo "lint: ok"
