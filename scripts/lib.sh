# Shared shell functions for scripts/*.sh. Source it; it sets nothing else.
# shellcheck shell=bash

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# cd to the repository root (the folder holding this scripts/ folder).
cd_root() {
	cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
}

is_root() { [ "$(id -u)" = 0 ]; }

# The OS user that owns and runs PostgreSQL clusters: postgres refuses to
# run as root, so root hands them to `postgres`; anyone else runs them.
pg_os_user() {
	if is_root; then echo postgres; else id -un; fi
}

# Run a command as the cluster owner. From / because the cwd may be a
# checkout under a private home that postgres cannot enter.
as_pg() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# A new folder outside the checkout that the cluster owner can use.
# /tmp rather than $TMPDIR: TMPDIR may point into a private home.
make_pg_dir() {
	local d
	d=$(mktemp -d "${NGAN_PG_TMP:-/tmp}/ngan-pg.XXXXXX")
	if is_root; then chown postgres: "$d"; fi
	chmod 0700 "$d"
	echo "$d"
}

# secret NAME: print the value of the secret NAME, taken from $NAME or,
# as Docker and Kubernetes mount secrets, from the file $NAME_FILE names
# (its content, trailing newlines stripped); nothing when neither is
# set. Both set, or an unreadable or empty file, stops the script (call
# it as x=$(secret NAME) under set -e). The server follows the same rule
# (env_secret in api/util.c).
secret() {
	local name=$1 fvar=${1}_FILE file val
	file=${!fvar:-}
	if [ -z "$file" ]; then
		printf '%s' "${!name:-}"
		return 0
	fi
	[ -z "${!name:-}" ] || die "$name and $fvar are both set: set one"
	{ [ -f "$file" ] && [ -r "$file" ]; } || die "$fvar: cannot read $file"
	val=$(<"$file") || die "$fvar: cannot read $file"
	while [[ $val == *$'\n' || $val == *$'\r' ]]; do val=${val%?}; done
	[ -n "$val" ] || die "$fvar: $file is empty"
	printf '%s' "$val"
}

# backup_root PGDIR: where the cluster in PGDIR archives its WAL (wal/)
# and make backup puts base backups (base/): NGAN_BACKUP_DIR, else
# PGDIR/backup. scripts/pg.sh and scripts/backup.sh agree through it.
backup_root() {
	local d=${NGAN_BACKUP_DIR:-$1/backup}
	case $d in /*) ;; *) d=$PWD/$d ;; esac
	echo "$d"
}

# Random secrets: hex of N bytes, and a URL-safe password.
rand_hex() { openssl rand -hex "${1:-32}"; }
rand_password() { openssl rand -base64 24 | tr '+/' '-_' | tr -d '=\n'; }

# ES256 signing key (PKCS#8 PEM), as contract.md says.
gen_jwt_key() {
	local out=$1
	mkdir -p "$(dirname "$out")"
	(umask 077 && openssl ecparam -name prime256v1 -genkey -noout |
	    openssl pkcs8 -topk8 -nocrypt -out "$out")
}

# Is something accepting TCP connections on 127.0.0.1:PORT?
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free TCP port on 127.0.0.1. Python binds port 0 (the kernel picks);
# without it probe random high ports.
free_port() {
	local p i
	if command -v python3 >/dev/null 2>&1 &&
	    p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null); then
		echo "$p"
		return 0
	fi
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 30000))
		if ! port_busy "$p"; then echo "$p"; return 0; fi
	done
	die "no free TCP port found"
}

# render_conf TEMPLATE OUT PORT WORKERS PG_CONNS MODULE BIND PIDFILE
# Fills conf/ngan.conf.in's placeholders. Kore writes its pid file into
# the cwd unless told otherwise, so the pid file is appended here.
render_conf() {
	local in=$1 out=$2 port=$3 workers=$4 conns=$5 module=$6 bind=$7
	local pidfile=$8
	sed -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$workers|g" \
	    -e "s|@PG_CONNS@|$conns|g" -e "s|@MODULE@|$module|g" \
	    -e "s|@BIND@|$bind|g" "$in" >"$out.tmp"
	printf '\npidfile\t\t%s\n' "$pidfile" >>"$out.tmp"
	if grep -q '@[A-Z_]*@' "$out.tmp"; then
		die "unfilled placeholder in $out: $(grep -o '@[A-Z_]*@' "$out.tmp" | head -1)"
	fi
	mv "$out.tmp" "$out"
}

# wait_http URL SECONDS [PID]: poll until URL answers 200; give up early
# when PID (the server) has died.
wait_http() {
	local url=$1 secs=$2 pid=${3:-} i
	for ((i = 0; i < secs * 5; i++)); do
		if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}

# Pids of the kore processes in process group PGID. kore runs in its own
# group (setsid), so the group finds workers orphaned by a crashed parent;
# checking the executable guards against a recycled pid.
kore_group_pids() {
	local pgid=$1 d stat rest pg
	for d in /proc/[0-9]*; do
		stat=$(cat "$d/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		read -r _ _ pg _ <<<"$rest"
		[ "$pg" = "$pgid" ] || continue
		case $(readlink "$d/exe" 2>/dev/null) in
		*/kore) echo "${d#/proc/}" ;;
		esac
	done
}

# start_outbox BIN LOG PIDFILE: the outbox's delivery (tools/ngan-outbox.c)
# in the background, appending to LOG (the server's, opened for append by
# both), its pid in PIDFILE. The environment configures it. It writes its
# lines whole itself (no stdbuf: its preload would come before the ASan
# runtime of the sanitizer build, which then refuses to start).
start_outbox() {
	local bin=$1 logf=$2 pidfile=$3
	"$bin" >>"$logf" 2>&1 &
	echo $! >"$pidfile"
}

# stop_outbox PIDFILE: TERM it (it ends after the message in hand), KILL
# it after 10 s.
stop_outbox() {
	local pidfile=$1 pid i
	[ -f "$pidfile" ] || return 0
	pid=$(tr -dc 0-9 <"$pidfile")
	rm -f "$pidfile"
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# start_certzip BIN LOG PIDFILE and stop_certzip PIDFILE: the builder of
# certificate ZIPs (tools/ngan-certzip.c), started and stopped as the
# outbox's delivery is (TERM: it ends after the certificate in hand, the
# job it leaves started again by the next one).
start_certzip() {
	start_outbox "$@"
}

stop_certzip() {
	stop_outbox "$@"
}

# stop_kore PIDFILE: TERM the kore group, KILL it after 10 s.
stop_kore() {
	local pidfile=$1 pid pids i
	[ -f "$pidfile" ] || return 0
	pid=$(tr -dc 0-9 <"$pidfile")
	if [ -n "$pid" ]; then
		pids=$(kore_group_pids "$pid")
		if [ -n "$pids" ]; then
			# The parent stops its workers; orphans get TERM directly.
			if grep -qx "$pid" <<<"$pids"; then
				kill -TERM "$pid" 2>/dev/null || true
			else
				# shellcheck disable=SC2086
				kill -TERM $pids 2>/dev/null || true
			fi
			for ((i = 0; i < 50; i++)); do
				pids=$(kore_group_pids "$pid")
				[ -n "$pids" ] || break
				sleep 0.2
			done
			if [ -n "$pids" ]; then
				log "kore (pid $pid) did not stop; killing it"
				# shellcheck disable=SC2086
				kill -KILL $pids 2>/dev/null || true
			fi
		fi
	fi
	rm -f "$pidfile"
}

# Read KEY=VALUE lines of an env file written by set_env into shell
# variables (not exported: callers export what the server should see).
load_env() {
	# shellcheck disable=SC1090
	. "$1"
}

# set_env FILE KEY VALUE: add or replace one line of an env file.
set_env() {
	local file=$1 key=$2 val=$3
	touch "$file"
	grep -v "^$key=" "$file" >"$file.tmp" || true
	printf '%s=%q\n' "$key" "$val" >>"$file.tmp"
	mv "$file.tmp" "$file"
	chmod 600 "$file"
}
