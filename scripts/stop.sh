#!/usr/bin/env bash
# make stop: stop what `make run` left running (the server recorded in
# var/kore.pid and the var/pg cluster). Nothing running is not an error.
#   stop.sh --reset   also delete the development database (var/pg), e.g.
#                     after editing a migration that was already applied;
#                     the next make run makes a fresh one.
# NGAN_VAR names another folder than var/, as for make run.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
var=${NGAN_VAR:-var}

if [ -f "$var/kore.pid" ]; then
	log "stop: stopping the server (pid $(cat "$var/kore.pid"))"
	stop_kore "$var/kore.pid"
fi
stop_outbox "$var/outbox.pid"
stop_certzip "$var/certzip.pid"
if [ -e "$var/pg" ]; then
	PG_PORT=54329
	[ ! -f "$var/dev.env" ] || load_env "$var/dev.env"
	if bash scripts/pg.sh status "$var/pg" "$PG_PORT" >/dev/null; then
		log "stop: stopping the database ($var/pg)"
		bash scripts/pg.sh stop "$var/pg" "$PG_PORT"
	fi
fi
if [ "${1:-}" = --reset ] && [ -L "$var/pg" ]; then
	target=$(readlink "$var/pg")
	case $target in
	/tmp/ngan-pg.* | "${NGAN_PG_TMP:-/tmp}"/ngan-pg.*) rm -rf -- "$target" ;;
	*) die "var/pg points to $target, not a folder made by run.sh; not deleting it" ;;
	esac
	rm -f "$var/pg"
	log "stop: development database deleted"
fi
