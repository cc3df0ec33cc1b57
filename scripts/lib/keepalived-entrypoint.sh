#!/bin/sh
# Entrypoint of the local keepalived image (scripts/lib/runtime.sh ensure_keepalived_image). `keepalived
# ARGS` (or bare flags) runs keepalived as PID 1 in the foreground with its log on the console, so
# `docker logs` shows every state transition, SIGHUP reloads the config and SIGTERM (docker stop)
# releases the floating address before it exits. Only the VRRP subsystem runs (no LVS checkers).
#
# keepalived needs `interface NAME` in each vrrp_instance, and the rendered config cannot know the
# host's interface names. It says `include INTERFACE_INCLUDE` there instead (keepalived reads an
# include at any place, as if its lines stood there), and this script writes that file with the
# interface that holds the config's `unicast_src_ip`. Written once at start: a reload keeps it, and a
# changed source address needs a new container (it is a different host anyway).
# Couplings: KEEPALIVED_CONFIG, KEEPALIVED_INTERFACE_INCLUDE and KEEPALIVED_PRIVATE_INTERFACE_INCLUDE in
# infra/render/paths.ts.
set -eu
# A directory of its own under /etc/keepalived, where Debian keeps keepalived.config-opts.
CONFIG=/etc/keepalived/mediamtx-lb/keepalived.conf
INTERFACE_INCLUDE=/run/keepalived/interface.conf
PRIVATE_INTERFACE_INCLUDE=/run/keepalived/private-interface.conf

fail() {
  printf 'keepalived-entrypoint: %s\n' "$*" >&2
  exit 1
}

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- keepalived "$@"
fi
if [ "$1" = keepalived ]; then
  shift
  config="" next=""
  for arg in "$@"; do
    if [ -n "$next" ]; then
      config="$arg" next=""
      continue
    fi
    case "$arg" in
    -f | --use-file) next=1 ;;
    --use-file=*) config="${arg#--use-file=}" ;;
    -f*) config="${arg#-f}" ;;
    esac
  done
  if [ -z "$config" ]; then
    config="$CONFIG"
    set -- "$@" --use-file "$config"
  fi
  [ -r "$config" ] || fail "cannot read the config $config (mount its directory at $(dirname "$config"))"
  src="$(sed -n 's/^[[:space:]]*unicast_src_ip[[:space:]][[:space:]]*\([^[:space:]]*\).*/\1/p' "$config" | head -n 1)"
  [ -n "$src" ] || fail "$config has no unicast_src_ip: cannot tell which interface to use"
  # `ip -o` prints one line per address: "2: eth0    inet 10.0.0.5/24 ...". The container shares the
  # host's network namespace (--network host), so these are the host's interfaces.
  iface="$(ip -o -4 addr show to "$src/32" | sed -n '1s/^[0-9]*: *\([^ ]*\) .*/\1/p')"
  [ -n "$iface" ] ||
    fail "no interface of this host holds $src (unicast_src_ip of $config): is it this host's address, and does the container run with --network host?"
  mkdir -p "$(dirname "$INTERFACE_INCLUDE")"
  printf '# Written by keepalived-entrypoint.sh: the interface that holds %s.\ninterface %s\n' \
    "$src" "$iface" >"$INTERFACE_INCLUDE"
  printf 'keepalived-entrypoint: %s holds %s: VRRP runs there\n' "$iface" "$src" >&2
  # The private floating address goes on the interface that holds the config's $PRIVATE_SOURCE (a
  # keepalived definition); the config uses $PRIVATE_INTERFACE, defined in the file written here.
  psrc="$(sed -n 's/^[$]PRIVATE_SOURCE=\([0-9.]*\)[[:space:]]*$/\1/p' "$config" | head -n 1)"
  if [ -n "$psrc" ]; then
    piface="$(ip -o -4 addr show to "$psrc/32" | sed -n '1s/^[0-9]*: *\([^ ]*\) .*/\1/p')"
    [ -n "$piface" ] ||
      fail "no interface of this host holds $psrc (\$PRIVATE_SOURCE of $config): is it this host's private address?"
    # shellcheck disable=SC2016 # a literal keepalived definition ($NAME=value), not a shell expansion
    printf '# Written by keepalived-entrypoint.sh: the interface that holds %s.\n$PRIVATE_INTERFACE=%s\n' \
      "$psrc" "$piface" >"$PRIVATE_INTERFACE_INCLUDE"
    printf 'keepalived-entrypoint: %s holds %s: the private floating address goes there\n' "$piface" "$psrc" >&2
  fi
  # --no-syslog: there is no syslog in the container, the console is the log.
  set -- keepalived --dont-fork --log-console --no-syslog --vrrp "$@"
fi
exec "$@"
