#!/bin/bash
# The gateway check of the keepalived image (/usr/local/bin/gateway-check PORT), run by the rendered
# config's vrrp_script: exit 0 when something accepts a TCP connection on 127.0.0.1:PORT within 1 s.
# The gateway runs on the host network and binds 0.0.0.0, so a refused or unanswered connect means
# its HAProxy (or the whole container) is gone. bash's /dev/tcp and coreutils' timeout are in every
# minbase; no client to install.
set -u
port="${1:-}"
case "$port" in
'' | *[!0-9]*)
  echo "usage: gateway-check PORT" >&2
  exit 2
  ;;
esac
# The port reaches the inner bash as $1, not spliced into its code.
# shellcheck disable=SC2016
exec timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' gateway-check "$port" 2>/dev/null
