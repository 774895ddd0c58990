#!/usr/bin/env bash
# Base backups and point-in-time recovery with PostgreSQL 15's own tools.
#
#   backup.sh backup  [DIR PORT]       base backup (pg_basebackup) of the
#                                      cluster in DIR, checked with
#                                      pg_verifybackup; old ones pruned
#   backup.sh restore TIME [DIR PORT]  a copy recovered to TIME from the
#                                      newest base backup finished before
#                                      it and the WAL archive, started on
#                                      a free port (it prints how to reach
#                                      it); the cluster in DIR is untouched
#   backup.sh list    [DIR PORT]       the base backups and the archive
#
# DIR and PORT default to make run's cluster (var/pg, PG_PORT of
# var/dev.env). Every cluster made by scripts/pg.sh archives its WAL into
# backup/wal/ of DIR (NGAN_BACKUP_DIR instead, when set); base backups go
# to base/ beside it, one folder each, named by their start time (UTC).
#
# TIME is an ISO 8601 time: 2026-12-07T14:30:00+07:00, or without an
# offset in Bangkok time as the clusters' timezone is (2026-12-07 14:30).
# Recovery replays every transaction committed at or before TIME and none
# after.
#
# Environment: NGAN_BACKUP_DIR (above), NGAN_BACKUP_KEEP_DAYS (28: base
# backups older than that are deleted after a new one succeeds, the
# newest always kept, and the WAL only they needed with them),
# NGAN_VAR (var/), RESTORE_PORT (a free port).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

usage() { die "usage: backup.sh backup|list [DIR PORT] | restore TIME [DIR PORT]"; }
[ $# -ge 1 ] || usage
cmd=$1
shift
target=
if [ "$cmd" = restore ]; then
	if [ $# -eq 0 ] || [ -z "$1" ]; then
		die "restore needs a time: make restore TO='2026-12-07 14:30'"
	fi
	target=$1
	shift
fi

if [ $# -ge 2 ]; then
	pgdir=$1 port=$2
else
	[ $# -eq 0 ] || usage
	var=${NGAN_VAR:-var}
	[ -e "$var/pg" ] || die "no cluster in $var/pg: make run makes one"
	PG_PORT=54329
	want_backup=${NGAN_BACKUP_DIR:-}
	[ ! -f "$var/dev.env" ] || load_env "$var/dev.env"
	# make run's choice (var/dev.env) unless given now.
	[ -z "$want_backup" ] || NGAN_BACKUP_DIR=$want_backup
	pgdir=$var/pg port=$PG_PORT
fi
if [ -n "${NGAN_BACKUP_DIR:-}" ]; then export NGAN_BACKUP_DIR; fi
case $port in '' | *[!0-9]*) die "bad port: $port" ;; esac
[ -d "$pgdir/data" ] || die "no cluster in $pgdir"
pgdir=$(cd "$pgdir" && pwd -P)
root=$(backup_root "$pgdir")
arch=$root/wal
keep_days=${NGAN_BACKUP_KEEP_DAYS:-28}
case $keep_days in '' | *[!0-9]*) die "bad NGAN_BACKUP_KEEP_DAYS: $keep_days" ;; esac

# info FILE KEY: a value of a backup's info file (KEY=VALUE lines).
info() { sed -n "s/^$2=//p" "$1"; }

pg_running() { bash scripts/pg.sh status "$pgdir" "$port" >/dev/null 2>&1; }

# psql as the superuser over the cluster's unix socket.
su_psql() {
	as_pg "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$pgdir/run" \
	    -p "$port" -U postgres -d postgres "$@"
}

# Asks for a new WAL segment and waits until the one just closed is in
# the archive: then every commit made before the call can be recovered.
flush_wal() {
	local seg i
	seg=$(su_psql -c "select pg_walfile_name(pg_switch_wal())")
	for ((i = 0; i < 600; i++)); do
		[ -f "$arch/$seg" ] && return 0
		sleep 0.1
	done
	die "WAL segment $seg did not reach $arch within 60 s (see $pgdir/data/postgresql.log)"
}

backup() {
	local started=0 stamp dest end old kept
	if ! pg_running; then
		bash scripts/pg.sh start "$pgdir" "$port"
		started=1
	fi
	mkdir -p "$root/base"
	if is_root; then chown postgres: "$root" "$root/base"; fi
	chmod 0700 "$root" "$root/base"
	# Named by the second it starts: a second backup within the same
	# second waits for the next one.
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	while [ -e "$root/base/$stamp" ]; do
		sleep 0.2
		stamp=$(date -u +%Y%m%dT%H%M%SZ)
	done
	dest=$root/base/$stamp
	log "backup: base backup of $pgdir into $dest"
	as_pg mkdir -m 0700 "$dest"
	# Fast checkpoint: the copy starts now, not at the next checkpoint.
	# The WAL written meanwhile comes with it (-X stream), so a backup
	# restores on its own; the archive takes it further.
	if ! as_pg "$PG_BIN/pg_basebackup" -h "$pgdir/run" -p "$port" \
	    -U postgres -D "$dest/data" -X stream -c fast --no-password \
	    >"$dest.log" 2>&1 ||
	    ! as_pg "$PG_BIN/pg_verifybackup" -q "$dest/data" >>"$dest.log" 2>&1; then
		cat "$dest.log" >&2
		rm -rf -- "$dest"
		die "backup failed; nothing kept"
	fi
	rm -f "$dest.log"
	end=$(date +%s)
	# When it became usable (recovery must reach at least this far) and
	# the first WAL segment it needs, for restore and pruning.
	printf 'end_epoch=%s\nstart_wal=%s\n' "$end" \
	    "$(sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]*\))$/\1/p' \
	    "$dest/data/backup_label")" | as_pg tee "$dest/info" >/dev/null
	# Whatever the copy needs beyond its own WAL is archived now.
	flush_wal
	[ "$started" = 0 ] || bash scripts/pg.sh stop "$pgdir" "$port"
	log "backup: done, $(du -sh "$dest" | cut -f1) in $dest"

	# Retention: base backups older than keep_days go (not the newest),
	# then archived WAL older than the oldest one kept.
	for old in "$root"/base/*/info; do
		[ "$(dirname "$old")" = "$dest" ] && continue
		end=$(info "$old" end_epoch)
		if [ $(($(date +%s) - end)) -ge $((keep_days * 86400)) ]; then
			log "backup: deleting $(dirname "$old") (older than $keep_days days)"
			rm -rf -- "$(dirname "$old")"
		fi
	done
	kept=$(for old in "$root"/base/*/info; do info "$old" start_wal; done |
	    sort | head -n 1)
	if [ -n "$kept" ]; then
		as_pg "$PG_BIN/pg_archivecleanup" "$arch" "$kept"
	fi
	echo "$dest"
}

# The epoch seconds (with a fraction) and the ISO form of TIME, read in
# the clusters' timezone.
parse_time() {
	TZ=Asia/Bangkok date -d "$1" "$2" 2>/dev/null ||
	    die "cannot read the time '$1': write it as 2026-12-07T14:30:00+07:00"
}

# recovery_failed DIR PORT TIME: says why, stops the copy; exits.
recovery_failed() {
	local d=$1
	bash scripts/pg.sh stop "$d" "$2" >/dev/null 2>&1 || true
	if grep -q 'recovery ended before configured recovery target' \
	    "$d/data/postgresql.log" 2>/dev/null; then
		rm -rf -- "$d"
		die "the archive ends before $3: nothing committed after it has reached $arch yet (with the database running, restore archives what it has first)"
	fi
	tail -n 10 "$d/data/postgresql.log" >&2 || true
	die "recovery failed; the copy stays in $d for a look (rm -rf it after)"
}

restore() {
	local t_epoch t_iso best best_end f end newdir newport i state url
	case $target in *[!0-9A-Za-z\ :+.,/_-]*) die "cannot read the time '$target'" ;; esac
	t_epoch=$(parse_time "$target" +%s.%N)
	t_iso=$(parse_time "$target" +%Y-%m-%dT%H:%M:%S.%6N%:z)
	best='' best_end=0
	for f in "$root"/base/*/info; do
		[ -f "$f" ] || continue
		end=$(info "$f" end_epoch)
		# Strictly before: a backup is usable only once it has ended.
		if awk -v e="$end" -v t="$t_epoch" 'BEGIN { exit !(e < t) }' &&
		    [ "$end" -gt "$best_end" ]; then
			best=$(dirname "$f") best_end=$end
		fi
	done
	[ -n "$best" ] || die "no base backup in $root/base ended before $t_iso (make backup takes one; the archive is replayed from one onwards)"

	if awk -v t="$t_epoch" -v n="$(date +%s)" 'BEGIN { exit !(t > n) }'; then
		die "$t_iso is in the future"
	fi
	# Recovery to a time stops at the first commit after it, and fails
	# if the WAL ends before one: a commit now (an id and nothing else)
	# is that commit however quiet the database was. It and everything
	# before it must be in the archive, or recovery stops short.
	if pg_running; then
		su_psql -c "select pg_current_xact_id()" >/dev/null
		flush_wal
	else
		log "restore: the cluster in $pgdir is not running: recovering from what the archive has"
	fi

	newdir=$(make_pg_dir)
	newport=${RESTORE_PORT:-$(free_port)}
	log "restore: copying $best into $newdir"
	as_pg cp -a "$best/data" "$newdir/data"
	as_pg mkdir -m 0700 "$newdir/run"
	# Appended after everything (later settings win): its own port and
	# socket, no archiving into the original's archive (the copy starts a
	# new timeline that a later restore must not follow), and recovery.
	as_pg tee -a "$newdir/data/postgresql.conf" >/dev/null <<EOF

# scripts/backup.sh restore: a copy recovered to $t_iso
# from $best
port = $newport
unix_socket_directories = '$newdir/run'
archive_mode = off
restore_command = 'cp "$arch/%f" "%p"'
recovery_target_time = '$t_iso'
recovery_target_action = 'promote'
EOF
	as_pg touch "$newdir/data/recovery.signal"
	log "restore: recovering to $t_iso on port $newport"
	NGAN_BACKUP_DIR='' bash scripts/pg.sh start "$newdir" "$newport" ||
	    recovery_failed "$newdir" "$newport" "$t_iso"
	# Open for reads once consistent; done when promoted.
	for ((i = 0; i < 1200; i++)); do
		state=$(as_pg "$PG_BIN/psql" -X -At -h "$newdir/run" -p "$newport" \
		    -U postgres -d postgres -c 'select pg_is_in_recovery()' \
		    2>/dev/null || true)
		[ "$state" = f ] && break
		bash scripts/pg.sh status "$newdir" "$newport" >/dev/null || break
		sleep 0.1
	done
	[ "$state" = f ] || recovery_failed "$newdir" "$newport" "$t_iso"

	# How to reach it: the roles are the original's, so its app password
	# (PG_APP_PASSWORD, from var/dev.env for make run) works; kept in a
	# file, not printed.
	url=
	if [ -n "${PG_APP_PASSWORD:-}" ]; then
		url="postgresql://ngan:$PG_APP_PASSWORD@127.0.0.1:$newport/ngan"
	fi
	(umask 077 && printf 'PG_DIR=%q\nPG_PORT=%q\nDATABASE_URL=%q\n' \
	    "$newdir" "$newport" "$url" >"$newdir/restore.env")
	cat <<EOF

restored: a copy of the database as it was at $t_iso
  from base backup $best and the WAL archive $arch
  running on 127.0.0.1:$newport, data in $newdir
  superuser over its socket: $(if is_root; then printf 'runuser -u postgres -- '; fi)psql -h $newdir/run -p $newport -U postgres ngan
  settings (DATABASE_URL with the app password): $newdir/restore.env
  stop it:   bash scripts/pg.sh stop $newdir $newport
  remove it: rm -rf $newdir   (after stopping)
EOF
}

list() {
	local f
	echo "WAL archive: $arch ($(find "$arch" -maxdepth 1 -type f -name '[0-9A-F]*' | wc -l) segments, $(du -sh "$arch" 2>/dev/null | cut -f1))"
	for f in "$root"/base/*/info; do
		[ -f "$f" ] || continue
		printf '%s  ended %s  %s\n' "$(dirname "$f")" \
		    "$(TZ=Asia/Bangkok date -d "@$(info "$f" end_epoch)" +%Y-%m-%dT%H:%M:%S%:z)" \
		    "$(du -sh "$(dirname "$f")" | cut -f1)"
	done
}

case $cmd in
backup) backup ;;
restore) restore ;;
list) list ;;
*) usage ;;
esac
