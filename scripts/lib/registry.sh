# The local image registry: Debian's docker-registry (distribution 2.8) serving $MLB_REGISTRY_DIR on
# $MLB_REGISTRY (loopback only). Docker Hub is out of reach, so simulated test hosts (own engines in
# network namespaces, test/support/test-hosts.ts) get the bootstrap images from this storage through
# a read-only registry that they use as their --registry-mirror: the stack keeps the official names.
# Sourced after common.sh; no side effects when sourced.
# shellcheck shell=bash

MLB_REGISTRY_CONFIG="$MLB_CACHE/registry.yml"
MLB_REGISTRY_PIDFILE="$MLB_CACHE/registry.pid"
MLB_REGISTRY_LOG="$MLB_CACHE/registry.log"

registry_answers() { curl -fsS --max-time 2 "http://$MLB_REGISTRY/v2/" >/dev/null 2>&1; }

# The pid of our registry when it runs (its pidfile names a live docker-registry serving our config).
registry_pid() {
  local pid
  pid="$(cat "$MLB_REGISTRY_PIDFILE" 2>/dev/null)" || return 1
  [ -n "$pid" ] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "serve $MLB_REGISTRY_CONFIG" || return 1
  printf '%s\n' "$pid"
}

write_registry_config() {
  # Upload purging would delete half-finished pushes of a concurrent bootstrap after its default age
  # (a week), harmless either way; the access log is off because test hosts pull a lot.
  cat >"$MLB_REGISTRY_CONFIG.tmp" <<EOF
# Written by scripts/lib/registry.sh: the local registry of scripts/bootstrap.
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $MLB_REGISTRY_DIR
  delete:
    enabled: false
http:
  addr: $MLB_REGISTRY
EOF
  mv -f "$MLB_REGISTRY_CONFIG.tmp" "$MLB_REGISTRY_CONFIG"
}

# Closes every descriptor above 2 of the current (sub)shell.
close_inherited_fds() {
  local fd n
  for fd in /proc/"$BASHPID"/fd/*; do
    n="${fd##*/}"
    if [ "$n" -gt 2 ]; then eval "exec $n>&-" 2>/dev/null || true; fi
  done
}

# Idempotent: a running registry of ours is kept (no systemd here, so it is a plain background
# process; Debian's own service would listen on every address with htpasswd auth, so it is not used).
ensure_registry() {
  command -v docker-registry >/dev/null || die "docker-registry not found: apt-get install docker-registry"
  mkdir -p "$MLB_REGISTRY_DIR"
  write_registry_config
  if registry_pid >/dev/null && registry_answers; then return 0; fi
  registry_answers && die "$MLB_REGISTRY answers but is not the registry of $MLB_REGISTRY_PIDFILE: stop it"
  # setsid: the registry outlives the bootstrap step that started it. It must not keep the caller's
  # descriptors either: under `flock LOCK scripts/bootstrap` it held the lock for its whole life.
  (
    close_inherited_fds
    exec setsid docker-registry serve "$MLB_REGISTRY_CONFIG" </dev/null >>"$MLB_REGISTRY_LOG" 2>&1
  ) &
  printf '%s\n' "$!" >"$MLB_REGISTRY_PIDFILE"
  for _ in $(seq 1 50); do
    registry_answers && return 0
    sleep 0.2
  done
  die "docker-registry did not answer on $MLB_REGISTRY within 10 s (log: $MLB_REGISTRY_LOG)"
}

# True when the registry's manifest for IMAGE has the local image's config as its config: the same
# image (an image ID is the digest of its config; pushing never changes it).
registry_has_image() {
  local image="$1" id manifest
  id="$(docker image inspect -f '{{.Id}}' "$image")" || return 1
  manifest="$(curl -fsS --max-time 10 \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$MLB_REGISTRY/v2/${image%:*}/manifests/${image##*:}" 2>/dev/null)" || return 1
  grep -qF "\"$id\"" <<<"$manifest"
}

# Pushes IMAGE as $MLB_REGISTRY/IMAGE unless the registry already holds that image under that tag;
# the registry tag is removed again locally (only the name: the image stays).
push_registry_image() {
  local image="$1"
  docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing: the image steps build it"
  registry_has_image "$image" && return 0
  docker tag "$image" "$MLB_REGISTRY/$image"
  docker push -q "$MLB_REGISTRY/$image"
  docker image rm "$MLB_REGISTRY/$image" >/dev/null
  registry_has_image "$image" || die "pushed $image, but $MLB_REGISTRY does not serve it"
}

push_registry_images() {
  push_registry_image "$MEDIAMTX_IMAGE"
  push_registry_image "$HAPROXY_IMAGE"
  push_registry_image "$KEEPALIVED_IMAGE"
}
