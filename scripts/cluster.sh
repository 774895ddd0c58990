#!/usr/bin/env bash
# make cluster: the topology for when one machine is not enough, on this
# one: nginx in front of two ngan server processes on different ports, a
# PostgreSQL primary they write to, and a hot standby made from it with
# pg_basebackup, streaming, that partner reads (statistics, feed, audit)
# go to (NGAN_READ_DATABASE_URL). Everything is new each time, in a
# folder of its own under /tmp (var/cluster points at it).
#
#   cluster.sh run     start, print where it is, wait for Ctrl-C, stop
#   cluster.sh start   start and return (var/cluster/cluster.env says
#                      where everything is)
#   cluster.sh stop    stop what var/cluster points at and delete it
#   cluster.sh test    start, run tests/cluster/ against it, stop
#
# Environment: FRONT_PORT (8090, or a free port when busy), WORKERS (2 per
# process), PG_CONNS (4 per worker and database), NGAN_PARTNER_RATE (120),
# NGAN_VAR (var/).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root
root=$PWD
var=${NGAN_VAR:-$root/var}
mkdir -p "$var"

if [ ! -f build/ngan.so ] || [ ! -x build/ngan-passwd ]; then
	die "build/ngan.so missing: run make build (make cluster does)"
fi
command -v nginx >/dev/null 2>&1 || die "nginx missing: run sh scripts/deps.sh nginx (make cluster does)"

stop_all() {
	local dir=$1 cenv
	[ -d "$dir" ] || return 0
	cenv=$dir/cluster.env
	if [ -f "$dir/nginx/nginx.pid" ]; then
		nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s quit \
		    2>/dev/null || true
		for _ in $(seq 1 50); do
			[ -f "$dir/nginx/nginx.pid" ] || break
			sleep 0.1
		done
	fi
	stop_kore "$dir/kore-a.pid" 2>/dev/null || true
	stop_kore "$dir/kore-b.pid" 2>/dev/null || true
	if [ -f "$cenv" ]; then
		(
			load_env "$cenv"
			bash scripts/pg.sh stop "$dir/standby" "$STANDBY_PORT" || true
			bash scripts/pg.sh stop "$dir/primary" "$PRIMARY_PORT" || true
		)
	fi
	case $dir in
	/tmp/ngan-cluster.* | "${NGAN_PG_TMP:-/tmp}"/ngan-cluster.*) rm -rf -- "$dir" ;;
	esac
	if [ "$(readlink "$var/cluster" 2>/dev/null)" = "$dir" ]; then
		rm -f "$var/cluster"
	fi
}

start() {
	local dir p_port s_port a_port b_port front hash user cenv x port
	if [ -L "$var/cluster" ]; then
		log "cluster: stopping the one left running ($(readlink "$var/cluster"))"
		stop_all "$(readlink "$var/cluster")"
	fi
	dir=$(mktemp -d "${NGAN_PG_TMP:-/tmp}/ngan-cluster.XXXXXX")
	chmod 0711 "$dir"
	ln -sfn "$dir" "$var/cluster"
	cenv=$dir/cluster.env
	p_port=$(free_port)
	s_port=$(free_port)
	while [ "$s_port" = "$p_port" ]; do s_port=$(free_port); done
	set_env "$cenv" PRIMARY_PORT "$p_port"
	set_env "$cenv" STANDBY_PORT "$s_port"
	set_env "$cenv" CLUSTER_DIR "$dir"

	# The primary, migrated, with the demo accounts.
	mkdir -m 0700 "$dir/primary"
	bash scripts/pg.sh init "$dir/primary" "$p_port" "$dir/pg.env"
	load_env "$dir/pg.env"
	DEMO_PASSWORD=$(rand_password | cut -c1-16)
	NGAN_PII_KEY=$(rand_hex 32)
	NGAN_METRICS_TOKEN=$(rand_hex 32)
	gen_jwt_key "$dir/keys/jwt-current.pem"
	hash=$(printf %s "$DEMO_PASSWORD" | build/ngan-passwd)
	NGAN_PII_KEY=$NGAN_PII_KEY bash scripts/migrate.sh "$DATABASE_URL" \
	    --demo "$hash" >/dev/null

	# The hot standby: a base backup that follows the primary from its
	# own replication slot (so the primary keeps the WAL it still
	# needs), replaying and open for reads. hot_standby_feedback keeps
	# the primary's vacuum from cancelling long counts on it.
	mkdir -m 0700 "$dir/standby"
	if is_root; then chown postgres: "$dir/standby"; fi
	as_pg "$PG_BIN/pg_basebackup" -h "$dir/primary/run" -p "$p_port" \
	    -U postgres -D "$dir/standby/data" -R -C -S ngan_standby \
	    -X stream -c fast --no-password
	as_pg mkdir -m 0700 "$dir/standby/run"
	as_pg tee -a "$dir/standby/data/postgresql.conf" >/dev/null <<EOF

# scripts/cluster.sh: the hot standby
port = $s_port
unix_socket_directories = '$dir/standby/run'
hot_standby = on
hot_standby_feedback = on
EOF
	bash scripts/pg.sh start "$dir/standby" "$s_port"
	READ_URL="postgresql://ngan:$PG_APP_PASSWORD@127.0.0.1:$s_port/ngan"

	# Two server processes on the same primary, partner reads on the
	# standby.
	a_port=$(free_port)
	b_port=$(free_port)
	while [ "$b_port" = "$a_port" ]; do b_port=$(free_port); done
	for x in a b; do
		port=$a_port
		[ $x = a ] || port=$b_port
		render_conf conf/ngan.conf.in "$dir/kore-$x.conf" "$port" \
		    "${WORKERS:-2}" "${PG_CONNS:-4}" "$root/build/ngan.so" \
		    127.0.0.1 "$dir/kore-$x.pid"
		DATABASE_URL=$DATABASE_URL NGAN_READ_DATABASE_URL=$READ_URL \
		    NGAN_PII_KEY=$NGAN_PII_KEY \
		    NGAN_METRICS_TOKEN=$NGAN_METRICS_TOKEN \
		    NGAN_JWT_KEY=$dir/keys/jwt-current.pem \
		    NGAN_OPENAPI=$root/openapi.yaml NGAN_ASSETS=$root/assets \
		    NGAN_TRUSTED_PROXIES=127.0.0.1 \
		    NGAN_PARTNER_RATE=${NGAN_PARTNER_RATE:-120} \
		    PGAPPNAME=ngan-$x \
		    setsid stdbuf -oL kore -f -n -r -c "$dir/kore-$x.conf" \
		    >"$dir/kore-$x.log" 2>&1 </dev/null &
		echo $! >"$dir/kore-$x.pid"
		wait_http "http://127.0.0.1:$port/healthz" 30 "$!" || {
			tail -n 20 "$dir/kore-$x.log" >&2
			die "server $x did not start"
		}
	done

	# nginx in front of both.
	front=${FRONT_PORT:-8090}
	if port_busy "$front"; then front=$(free_port); fi
	mkdir -p "$dir/nginx"
	user=
	if is_root; then user='user nobody nogroup;'; fi
	sed -e "s|@PREFIX@|$dir/nginx|g" -e "s|@PORT@|$front|g" \
	    -e "s|@USER@|$user|" \
	    -e "s|@UPSTREAMS@|\t\tserver 127.0.0.1:$a_port;\n\t\tserver 127.0.0.1:$b_port;|" \
	    conf/nginx-cluster.conf.in >"$dir/nginx/nginx.conf"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" ||
	    die "nginx did not start (see $dir/nginx/error.log)"
	wait_http "http://127.0.0.1:$front/healthz" 30 ||
	    die "nginx on $front does not answer"

	set_env "$cenv" NGAN_BASE_URL "http://127.0.0.1:$front"
	set_env "$cenv" NGAN_SERVER_A "http://127.0.0.1:$a_port"
	set_env "$cenv" NGAN_SERVER_B "http://127.0.0.1:$b_port"
	set_env "$cenv" DATABASE_URL "$DATABASE_URL"
	set_env "$cenv" NGAN_READ_DATABASE_URL "$READ_URL"
	set_env "$cenv" DEMO_PASSWORD "$DEMO_PASSWORD"
	set_env "$cenv" NGAN_METRICS_TOKEN "$NGAN_METRICS_TOKEN"
	set_env "$cenv" NGAN_PARTNER_RATE "${NGAN_PARTNER_RATE:-120}"
	set_env "$cenv" NGAN_PII_TOOL "$root/build/ngan-pii"
	set_env "$cenv" NGAN_PII_KEY "$NGAN_PII_KEY"
	set_env "$cenv" NGAN_JWT_KEY "$dir/keys/jwt-current.pem"
	set_env "$cenv" KORE_A_LOG "$dir/kore-a.log"
	set_env "$cenv" KORE_B_LOG "$dir/kore-b.log"
	set_env "$cenv" PRIMARY_DIR "$dir/primary"
	set_env "$cenv" STANDBY_DIR "$dir/standby"

	cat <<EOF

ngan cluster on this machine ($dir, var/cluster):
  front (nginx):  http://127.0.0.1:$front
  server a:       http://127.0.0.1:$a_port   (log $dir/kore-a.log)
  server b:       http://127.0.0.1:$b_port   (log $dir/kore-b.log)
  primary:        127.0.0.1:$p_port   (writes; DATABASE_URL)
  hot standby:    127.0.0.1:$s_port   (partner reads; NGAN_READ_DATABASE_URL)
  demo accounts:  admin, organizer, scanner, partner; password and URLs in $cenv
EOF
}

case ${1:-run} in
start) start ;;
stop)
	if [ -L "$var/cluster" ]; then stop_all "$(readlink "$var/cluster")"; fi
	;;
run)
	start
	trap 'stop_all "$(readlink "$var/cluster")"; exit 0' INT TERM
	echo "  Ctrl-C stops it all."
	while sleep 1; do :; done
	;;
test)
	start
	dir=$(readlink "$var/cluster")
	trap 'stop_all "$dir"' EXIT
	set -a
	load_env "$dir/cluster.env"
	set +a
	set +e
	timeout -k 10 "${NGAN_TEST_TIMEOUT:-600}" node --test \
	    --test-concurrency=1 --test-reporter=tap tests/cluster/ </dev/null
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		for x in a b; do
			echo "== last lines of server $x's log:"
			tail -n 20 "$dir/kore-$x.log" || true
		done
	fi
	exit "$rc"
	;;
*) die "usage: cluster.sh run|start|stop|test" ;;
esac
