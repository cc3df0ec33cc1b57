# Shared by every script: locations, pins and small helpers. Sourcing it has no side effects.
# shellcheck shell=bash
# The variables defined here are read by the scripts that source this file, and shellcheck checks
# each file on its own, so it would call every one of them unused.
# shellcheck disable=SC2034

MLB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MLB_CACHE="${MEDIAMTX_LB_CACHE:-$HOME/.cache/mediamtx-lb}"

# Every non-npm pin (NODE_VERSION, MEDIAMTX_VERSION, DEBIAN_SUITE, HAPROXY_MINOR, DOCKERPROV_*, ...).
# shellcheck source=../../versions.env
source "$MLB_ROOT/versions.env"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Version of an npm package as resolved in package-lock.json: the engine and plugins must match it.
npm_locked_version() {
  local pkg="$1" v
  v="$(sed -n "/\"node_modules\/${pkg//\//\\/}\": {/,/}/s/.*\"version\": \"\([^\"]*\)\".*/\1/p" \
    "$MLB_ROOT/package-lock.json" | head -n 1)"
  [ -n "$v" ] || die "package-lock.json has no entry for $pkg (run: npm install)"
  printf '%s\n' "$v"
}

PULUMI_VERSION="$(npm_locked_version @pulumi/pulumi)"
DOCKER_PROVIDER_VERSION="$(npm_locked_version @pulumi/docker)"

NODE_DIR="$MLB_CACHE/node-$NODE_VERSION"
NODE_BIN="$NODE_DIR/node_modules/node/bin"
PULUMI_DIR="$MLB_CACHE/pulumi-$PULUMI_VERSION"
MEDIAMTX_DIR="$MLB_CACHE/mediamtx-$MEDIAMTX_VERSION"
# Debian packages of the local HAProxy image: lua-cjson is the router's fast JSON decoder (Lua 5.4's
# cjson.so under /usr/lib/<triplet>/lua/5.4/, on HAProxy's package.cpath; infra/lua/json.lua).
HAPROXY_ROOTFS_PACKAGES=haproxy,ca-certificates,lua-cjson
# The cache key names the package list, so a changed list builds a new rootfs (and a new image, which
# ensure_haproxy_image recognises by its mediamtx-lb.rootfs label) instead of reusing the old one.
HAPROXY_ROOTFS_KEY="$DEBIAN_SUITE-$(printf '%s' "$HAPROXY_ROOTFS_PACKAGES" | sha256sum | cut -c1-12)"
HAPROXY_ROOTFS_DIR="$MLB_CACHE/haproxy-rootfs-$HAPROXY_ROOTFS_KEY"
# Debian packages of the local keepalived image (the gateways' floating address, VRRP): iproute2 is
# what its entrypoint finds the interface with (keepalived depends on it anyway). bash and coreutils
# (the health check's /dev/tcp and timeout) are in every minbase.
KEEPALIVED_ROOTFS_PACKAGES=keepalived,iproute2
# Keyed like HAPROXY_ROOTFS_KEY. The image adds the entrypoint and check (scripts/lib/keepalived-*.sh)
# on import, so editing them rebuilds the image (ensure_keepalived_image), not the rootfs.
KEEPALIVED_ROOTFS_KEY="$DEBIAN_SUITE-$(printf '%s' "$KEEPALIVED_ROOTFS_PACKAGES" | sha256sum | cut -c1-12)"
KEEPALIVED_ROOTFS_DIR="$MLB_CACHE/keepalived-rootfs-$KEEPALIVED_ROOTFS_KEY"
# Plugins and credentials of the pinned CLI live here, never in ~/.pulumi.
MLB_PULUMI_HOME="$MLB_CACHE/pulumi-home-$PULUMI_VERSION"

MEDIAMTX_IMAGE="mediamtx-lb/mediamtx:$MEDIAMTX_VERSION"
# Tagged with HAProxy's major.minor, which the Debian suite fixes (trixie → 3.0).
# Couplings: scripts/lib/versions.ts builds the same two names for TypeScript.
HAPROXY_IMAGE="mediamtx-lb/haproxy:$HAPROXY_MINOR"
# Tagged with the keepalived version that the Debian suite ships (versions.env KEEPALIVED_VERSION).
# Couplings: localImages() in scripts/lib/versions.ts.
KEEPALIVED_IMAGE="mediamtx-lb/keepalived:$KEEPALIVED_VERSION"

# The local registry (scripts/lib/registry.sh): loopback only, storage in the cache. Test hosts
# (test/support/test-hosts.ts) pull the images above from the same storage through a read-only copy.
# Couplings: REGISTRY_PORT and the storage path in test/support/test-hosts.ts.
MLB_REGISTRY_PORT=5000
MLB_REGISTRY="127.0.0.1:$MLB_REGISTRY_PORT"
MLB_REGISTRY_DIR="$MLB_CACHE/registry"

# Everything the project runs sees the pinned Node and Pulumi first.
mlb_path() {
  export PATH="$NODE_BIN:$PULUMI_DIR/bin:$MLB_ROOT/node_modules/.bin:$PATH"
}

# Runs "$@" in a subshell with `set -euo pipefail` and stores its exit status in the variable named by
# the first argument; never stops the caller. Bash ignores errexit inside anything whose status is
# tested (`cmd || ...`, `if cmd`, `! cmd`), even after an explicit `set -e` in there, so a builder keeps
# errexit only when run as a plain statement with errexit off around it. Call it as a plain statement.
run_strict() {
  local _var="$1" _errexit=0 _rc
  shift
  case $- in *e*) _errexit=1 ;; esac
  set +e
  (
    set -euo pipefail
    "$@"
  )
  _rc=$?
  if [ "$_errexit" = 1 ]; then set -e; fi
  printf -v "$_var" '%s' "$_rc"
}

# Builds into a temp dir beside the cache entry and moves it into place only when complete, so an
# interrupted or failed build never leaves a half-filled entry behind. Usage: cache_build DIR "FILE..."
# FN ARGS... The entry counts as built only when every listed file exists and is non-empty; otherwise
# it is rebuilt. FN receives the temp dir as its first argument and runs with errexit on.
cache_build() {
  local dir="$1" required="$2" fn="$3" f missing=0 rc
  shift 3
  for f in $required; do [ -s "$dir/$f" ] || missing=1; done
  if [ $missing = 0 ]; then return 0; fi
  if [ -d "$dir" ]; then echo "cache entry $dir is incomplete: rebuilding"; fi
  # Leftovers of interrupted builds (any process) and the incomplete entry go first.
  rm -rf "$dir" "$dir".tmp.*
  local tmp="$dir.tmp.$$"
  mkdir -p "$tmp"
  run_strict rc "$fn" "$tmp" "$@"
  if [ "$rc" != 0 ]; then
    rm -rf "$tmp"
    die "$fn failed (exit $rc)"
  fi
  for f in $required; do
    [ -s "$tmp/$f" ] || {
      rm -rf "$tmp"
      die "$fn finished without producing $f"
    }
  done
  mv "$tmp" "$dir"
}

# Runs one bootstrap step with errexit on and prints one line with its duration. Output of the step
# goes to a log that is shown only on failure. A step records a stamp or hash only after the work it
# stands for has succeeded, so a failed step is retried by the next bootstrap.
step() {
  local name="$1" start rc log secs
  shift
  start=$(date +%s.%N)
  log="$(mktemp)"
  run_strict rc "$@" >"$log" 2>&1
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" = 0 ]; then
    printf '  %-22s ok    %6ss\n' "$name" "$secs"
    rm -f "$log"
  else
    printf '  %-22s FAIL  %6ss\n' "$name" "$secs"
    tail -n 30 "$log" | sed 's/^/    | /' >&2
    rm -f "$log"
    die "bootstrap step '$name' failed (see the lines above)"
  fi
}
