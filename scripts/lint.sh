#!/usr/bin/env bash
# make lint: banned C calls, Kore's style (scripts/style.awk), shell
# scripts (bash -n, shellcheck), and openapi.yaml as Redocly CLI and
# Spectral see it (npm, pinned in tests/package-lock.json; make deps
# installs them) plus our own rules.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
shopt -s nullglob
fail=0

# (a) Calls banned as in curl: unbounded or unchecked. snprintf, fgets,
# strtok_r and friends do not match (\b before the name, "(" right after).
banned='\b(sprintf|strcat|strcpy|strncpy|strtok|gets|atoi)[[:space:]]*\('
c_files=(api/*.c api/*.h tools/*.c tools/*.h tests/unit/*.c tests/unit/*.h
    tests/fuzz/*.c tests/fuzz/*.h)
if [ ${#c_files[@]} -gt 0 ] && hits=$(grep -nE "$banned" "${c_files[@]}"); then
	echo "lint: banned calls (use snprintf, kore_buf, strtol with checks):"
	printf '%s\n' "$hits"
	fail=1
fi

# (b) Formatting: Kore's style(9). clang-format 14 cannot align
# declarations to tab stops as Kore does, so a checker holds the rules
# that matter (tabs, 80 columns, return (x), definitions' return type on
# its own line, braces, /* */ comments); .clang-format is for editors.
if ! awk -f scripts/style.awk api/*.c api/*.h tools/*.c tests/unit/*.c \
    tests/fuzz/*.c tests/fuzz/*.h; then
	echo "lint: style breaches above"
	fail=1
fi

# (c) Shell scripts: they parse, and shellcheck (.shellcheckrc) finds
# nothing, notes included; what is accepted on purpose says why in place.
for f in scripts/*.sh bench/*.sh .ci/run; do
	bash -n "$f" || fail=1
done
if ! shellcheck scripts/*.sh bench/*.sh .ci/run; then
	echo "lint: shellcheck findings above"
	fail=1
fi

# (d) The environment is read in one place (api/config.c), and every
# variable it reads is in the README's table.
if hits=$(grep -n 'getenv[[:space:]]*(' api/*.c api/*.h | grep -v '^api/config\.c:'); then
	echo "lint: getenv outside api/config.c (add the variable to its table):"
	printf '%s\n' "$hits"
	fail=1
fi
while read -r v; do
	if ! grep -qE "^\| \`$v\` \|" README.md; then
		echo "lint: $v (api/config.c) is not in the README's table of variables"
		fail=1
	fi
done < <(grep -oE '\.name = "[A-Z_]+"' api/config.c | cut -d'"' -f2)

# (f) Messages (issue 15): every problem, field error and import row error
# message in sql/api/*.sql and api/*.c is a key of api/i18n.tsv, and every
# key there is used, in English and Thai (scripts/i18n-lint.mjs says
# file:line and the literal); the table compiles (scripts/i18n-table.awk).
node scripts/i18n-lint.mjs || fail=1
LC_ALL=C awk -f scripts/i18n-table.awk api/i18n.tsv > /dev/null || fail=1

# (e) openapi.yaml: Redocly CLI (`recommended`, redocly.yaml) and Spectral
# (`spectral:oas`, .spectral.yaml), errors and warnings alike; what is
# accepted on purpose is listed with its reason in those files and in
# .redocly.lint-ignore.yaml. Offline: both rulesets ship in the packages,
# and these variables stop Redocly's telemetry and update check.
bin=tests/node_modules/.bin
if [ ! -x "$bin/redocly" ] || [ ! -x "$bin/spectral" ]; then
	echo "lint: Redocly or Spectral missing: run make deps (npm ci in tests/)"
	fail=1
else
	export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
	# Redocly boxes a notice about Node.js 20 on every run: not a finding.
	if ! out=$("$bin/redocly" lint openapi.yaml --config redocly.yaml \
	    --format=stylish 2>&1); then
		fail=1
	fi
	printf '%s\n' "$out" | grep -v '^ *[║╔╚]' | grep -v '^$' || true
	if printf '%s\n' "$out" | grep -qE '^ +[0-9]+:[0-9]+ +warning '; then
		echo "lint: Redocly warnings above"
		fail=1
	fi
	"$bin/spectral" lint openapi.yaml --ruleset .spectral.yaml \
	    --fail-severity=warn || fail=1
	node tests/e2e/lint-openapi.mjs openapi.yaml || fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "lint: failed"
	exit 1
fi
echo "lint: ok"
