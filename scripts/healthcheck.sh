#!/usr/bin/env bash
# The container's HEALTHCHECK: exits 0 when GET /readyz (the server and
# its database) answers 200 on PORT (8080), else 1. Plain bash (/dev/tcp),
# so the image carries no curl. BIND_ADDR, when it names one address, is
# where the server listens; 0.0.0.0 (the image's) and :: are reached on
# loopback.
set -uo pipefail
host=${BIND_ADDR:-127.0.0.1}
case $host in
0.0.0.0 | '*') host=127.0.0.1 ;;
::) host=::1 ;;
esac
exec 3<>"/dev/tcp/$host/${PORT:-8080}" 2>/dev/null || exit 1
printf 'GET /readyz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' \
    "$host" >&3 || exit 1
IFS= read -r -t 3 status <&3 || exit 1
[[ $status == "HTTP/1.1 200 "* ]] || exit 1
