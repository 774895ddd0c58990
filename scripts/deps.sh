#!/usr/bin/env bash
# Install what building, running and testing ngan needs, only what is
# missing: quiet and quick when everything is there (make run/test call it
# every time). Debian bookworm packages; npm packages for tests/ from the
# committed lockfile.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pkgs=(kore libjansson-dev libjwt-dev libsodium-dev libqrencode-dev zlib1g-dev
    libssl-dev libpq-dev libcurl4-openssl-dev postgresql postgresql-contrib postgresql-15
    postgresql-client-15 wrk openssl curl ca-certificates gcc make
    clang-format zbar-tools python3 chromium clang valgrind shellcheck
    pkg-config libcairo2-dev libpango1.0-dev fonts-tlwg-laksaman
    poppler-utils libarchive-dev unzip)
# More for some targets (make cluster: nginx), named as arguments.
pkgs+=("$@")
# Node may come from elsewhere (e.g. NodeSource, with npm inside);
# Debian's nodejs and npm only when there is no node at all.
if ! command -v node >/dev/null 2>&1; then
	pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
		    { echo "deps: need root or sudo to install packages" >&2; exit 1; }
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
	    "${missing[@]}" >/dev/null
	# Debian starts its own main cluster on 5432; ours are private, so
	# leave that one alone (it does no harm).
fi

# Test dependencies, pinned by tests/package-lock.json.
if [ -f tests/package-lock.json ]; then
	if [ ! -d tests/node_modules ] ||
	    [ tests/package-lock.json -nt tests/node_modules ]; then
		echo "deps: npm ci in tests/" >&2
		(cd tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		touch tests/node_modules
	fi
fi
