#!/bin/sh
# Mirrors the official haproxy image: `haproxy ARGS` (or bare flags) runs in master-worker mode in the
# foreground, so SIGUSR2/SIGHUP reload and SIGUSR1 stops gracefully.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi
if [ "$1" = "haproxy" ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
