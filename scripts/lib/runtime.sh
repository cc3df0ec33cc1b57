# Builders for the offline runtime. Every function is idempotent and only reaches package registries
# (npm, Debian apt, the Go module proxy). Sourced after common.sh; no side effects when sourced.
# shellcheck shell=bash

GO_PROXY="${GOPROXY:-https://proxy.golang.org}"
GO_PROXY="${GO_PROXY%%,*}"

# Node ≥ 22 is required by @pulumi/pulumi; the npm package `node` ships a real Node binary.
install_node() {
  local tmp="$1"
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION"
  "$tmp/node_modules/node/bin/node" --version | grep -qx "v$NODE_VERSION"
}
ensure_node() {
  command -v npm >/dev/null || die "npm not found: install Node.js (any version) with npm to bootstrap Node $NODE_VERSION"
  cache_build "$NODE_DIR" node_modules/node/bin/node install_node
}

# npm ci only when the lock file changed since the last successful install (its hash is stored in
# node_modules, written only after npm ci succeeded).
ensure_npm_deps() {
  local stamp="$MLB_ROOT/node_modules/.lock-sha256" want have=""
  want="$(sha256sum "$MLB_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ]; then have="$(cat "$stamp")"; fi
  if [ "$want" = "$have" ]; then return 0; fi
  rm -f "$stamp"
  (cd "$MLB_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want" >"$stamp"
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

ensure_docker_engine() {
  docker_answers && return 0
  [ "$(id -u)" = 0 ] || die "Docker engine not answering and not root: start dockerd (or add yourself to the docker group)"
  if ! command -v dockerd >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io; } ||
      die "apt-get install docker.io failed"
  fi
  command -v docker >/dev/null || die "docker client missing after installing docker.io"
  mkdir -p "$MLB_CACHE"
  # Without the caller's other open files: a daemon that inherits a `flock` descriptor (the e2e lock
  # around `scripts/test`) would hold that lock for as long as it runs.
  (
    for fd in /proc/self/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec nohup dockerd >"$MLB_CACHE/dockerd.log" 2>&1
  ) &
  for _ in $(seq 1 60); do
    docker_answers && return 0
    sleep 1
  done
  die "dockerd did not answer within 60 s (log: $MLB_CACHE/dockerd.log)"
}

# Host tools the tests use: HAProxy 2.6 (validates every config beside the image's 3.0), ffmpeg (RTMP
# publisher), Lua interpreters (router unit tests), debootstrap (HAProxy image rootfs), shellcheck
# (every shell script, unit lane), luacheck (Debian lua-check: the router's Lua), Chromium (the TLS
# e2e plays and publishes through MediaMTX's own pages over HTTPS) and certutil (libnss3-tools: it
# trusts the stack's CA in a throw-away NSS database, no --ignore-certificate-errors), docker-registry
# (the local registry test hosts pull from; scripts/lib/registry.sh). Then packages
# without a command: lua-cjson, the router's fast decoder in the host's HAProxy 2.6 (Lua 5.3 finds
# Debian's /usr/lib/<triplet>/lua/5.3/cjson.so on its default package.cpath).
ensure_host_packages() {
  local missing=() pair cmd pkg without_command=(lua-cjson)
  for pair in haproxy:haproxy ffmpeg:ffmpeg lua5.3:lua5.3 lua5.4:lua5.4 debootstrap:debootstrap curl:curl unzip:unzip \
    shellcheck:shellcheck luacheck:lua-check chromium:chromium certutil:libnss3-tools docker-registry:docker-registry; do
    cmd="${pair%%:*}" pkg="${pair##*:}"
    command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  for pkg in "${without_command[@]}"; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  [ "$(id -u)" = 0 ] || die "missing host packages (${missing[*]}): apt-get install them as root"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } ||
    die "apt-get install ${missing[*]} failed"
}

check_go() {
  command -v go >/dev/null || die "go not found: Go 1.$GO_MIN_MINOR+ is needed to build Pulumi, its plugins and MediaMTX"
  local minor
  minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
  [ "$minor" -ge "$GO_MIN_MINOR" ] || die "go $(go env GOVERSION) is too old: the pinned modules need go1.$GO_MIN_MINOR or newer"
}

# go.mod files of the CLI carry `replace` directives, so `go install pkg@ver` refuses: a throwaway
# module requires the same versions and copies the one replace the build needs.
build_pulumi_cli() {
  local out="$1" work="$1/.work"
  mkdir -p "$work" "$out/bin"
  cat >"$work/go.mod" <<EOF
module mediamtx-lb/tools/pulumi

go 1.$GO_MIN_MINOR

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard $PULUMI_CLIPBOARD_FORK
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$work/tools.go"
  (
    cd "$work" || exit 1
    GOFLAGS=-mod=mod CGO_ENABLED=0 go mod tidy
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out/bin/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  rm -rf "$work"
}

# The nodejs language host became its own module (sdk/nodejs/cmd/pulumi-language-nodejs/v3) after
# sdk v3.68.0, and the module mirror serves no version of that module. v3.68.0
# (LANGUAGE_HOST_SDK_VERSION) still carries it inside sdk/v3; its protocol (run the program through
# @pulumi/pulumi's cmd/run) works with the pinned SDK.
build_language_host() {
  local out="$1" work="$1/.work-lh"
  mkdir -p "$work"
  printf 'module mediamtx-lb/tools/langhost\n\ngo 1.%s\n\nrequire github.com/pulumi/pulumi/sdk/v3 v%s\n' \
    "$GO_MIN_MINOR" "$LANGUAGE_HOST_SDK_VERSION" >"$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' >"$work/tools.go"
  (
    cd "$work" || exit 1
    GOFLAGS=-mod=mod CGO_ENABLED=0 go mod tidy
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out/bin/pulumi-language-nodejs" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGUAGE_HOST_SDK_VERSION" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  )
  rm -rf "$work"
}

# Dynamic providers run through this plugin; the CLI release ships it as a script, our Go build
# does not. It runs the project's own @pulumi/pulumi, resolved from the working directory.
write_dynamic_provider_shim() {
  local out="$1"
  cat >"$out/bin/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
exec node "$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider")')" "$@"
EOF
  chmod +x "$out/bin/pulumi-resource-pulumi-nodejs"
}

# The v3.260 engine hands Pulumi.yaml's runtime options to the language host over gRPC; the v3.68 host
# only reads them as command-line flags, so `typescript: false` never reached it and it registered
# ts-node (and its source-map stack traces) for every program. The host is the real binary renamed; a
# wrapper in its place passes -typescript=false when the project's Pulumi.yaml says so (the engine
# starts the host in the program's directory; the wrapper looks upwards for Pulumi.yaml). Other
# projects keep the host's default (ts-node on).
# Idempotent: run on every bootstrap, so a cached CLI build gets the wrapper too.
ensure_language_host_wrapper() {
  local bin="$PULUMI_DIR/bin" host="$PULUMI_DIR/bin/pulumi-language-nodejs"
  if ! head -c 4 "$host" | grep -q '^#!'; then
    mv -f "$host" "$bin/pulumi-language-nodejs-v$LANGUAGE_HOST_SDK_VERSION"
  fi
  cat >"$host.tmp" <<EOF_WRAPPER
#!/bin/sh
# Written by scripts/lib/runtime.sh (ensure_language_host_wrapper): passes Pulumi.yaml's
# "typescript: false" on to the v$LANGUAGE_HOST_SDK_VERSION host as the flag it reads. The engine starts
# the host in the program's directory (main), so the project file is the nearest one above it.
real="\$(dirname "\$0")/pulumi-language-nodejs-v$LANGUAGE_HOST_SDK_VERSION"
dir="\$PWD"
while [ "\$dir" != / ] && [ ! -f "\$dir/Pulumi.yaml" ]; do dir="\$(dirname "\$dir")"; done
if [ -f "\$dir/Pulumi.yaml" ] && grep -Eq '^[[:space:]]+typescript:[[:space:]]*false[[:space:]]*(#.*)?\$' "\$dir/Pulumi.yaml"; then
  exec "\$real" -typescript=false "\$@"
fi
exec "\$real" "\$@"
EOF_WRAPPER
  chmod +x "$host.tmp"
  mv -f "$host.tmp" "$host"
}

build_pulumi() {
  local out="$1"
  build_pulumi_cli "$out"
  # The language host is a "bundled" plugin: the CLI looks for it beside its own binary.
  build_language_host "$out"
  write_dynamic_provider_shim "$out"
  "$out/bin/pulumi" version | grep -qx "v$PULUMI_VERSION"
}

# Installs the cached build unless the installed plugin is byte for byte the same: a rebuild keeps the
# version, so asking `pulumi plugin ls` for the version would keep a stale plugin.
# Couplings: Pulumi's layout of an installed plugin, $PULUMI_HOME/plugins/<kind>-<name>-v<version>/.
ensure_docker_plugin() {
  local dir installed
  dir="$(docker_provider_dir "$DOCKER_PROVIDER_VERSION")"
  cache_build "$dir" pulumi-resource-docker build_docker_provider "$DOCKER_PROVIDER_VERSION"
  installed="$MLB_PULUMI_HOME/plugins/resource-docker-v$DOCKER_PROVIDER_VERSION/pulumi-resource-docker"
  if cmp -s "$dir/pulumi-resource-docker" "$installed"; then return 0; fi
  "$MLB_ROOT/scripts/pulumi" plugin install resource docker "$DOCKER_PROVIDER_VERSION" \
    --file "$dir/pulumi-resource-docker" --reinstall
  cmp -s "$dir/pulumi-resource-docker" "$installed" ||
    die "pulumi plugin install did not put $dir/pulumi-resource-docker at $installed"
}

# MediaMTX go:embeds two git-ignored files (VERSION, hls.min.js), and its go.mod replaces gosrt with
# a fork commit the mirror does not serve. We build against upstream gosrt, whose Dial has no context
# variant; SRT is switched off in our config, so the two context-aware dials become plain dials.
build_mediamtx() {
  local out="$1" work="$1/.work"
  local mod="github.com/bluenviron/mediamtx" ver="v$MEDIAMTX_VERSION"
  mkdir -p "$work"
  curl -fsS -o "$work/src.zip" "$GO_PROXY/$mod/@v/$ver.zip"
  (cd "$work" && unzip -q src.zip)
  local src="$work/$mod@$ver"
  chmod -R u+w "$src"
  printf '%s' "$ver" >"$src/internal/core/VERSION"
  (cd "$work" && npm pack --silent "hls.js@$HLSJS_VERSION" >/dev/null && tar xzf "hls.js-$HLSJS_VERSION.tgz" package/dist/hls.min.js)
  cp "$work/package/dist/hls.min.js" "$src/internal/servers/hls/hls.min.js"
  (
    cd "$src" || exit 1
    go mod edit -dropreplace github.com/datarhei/gosrt
    sed -i -E 's/srtlib\.DialWithContext\(ctx, /srtlib.Dial(/' internal/forward/srt/dest.go
    sed -i -E 's/srt\.DialWithContext\(params\.Context, /srt.Dial(/' internal/staticsources/srt/source.go
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/mediamtx" .
  )
  cp "$src/mediamtx.yml" "$out/mediamtx.yml"
  rm -rf "$work"
  "$out/mediamtx" --version | grep -qx "$ver"
}

# Same layout as bluenviron/mediamtx: FROM scratch, /mediamtx, default config at /mediamtx.yml.
ensure_mediamtx_image() {
  docker image inspect "$MEDIAMTX_IMAGE" >/dev/null 2>&1 && return 0
  local tmp
  tmp="$(mktemp -d)"
  cp "$MEDIAMTX_DIR/mediamtx" "$MEDIAMTX_DIR/mediamtx.yml" "$tmp/"
  tar -C "$tmp" -c mediamtx mediamtx.yml |
    docker import \
      --change 'ENTRYPOINT ["/mediamtx"]' \
      --change 'LABEL org.opencontainers.image.version='"$MEDIAMTX_VERSION" \
      --change 'LABEL mediamtx-lb.built-by=scripts/bootstrap' \
      - "$MEDIAMTX_IMAGE" >/dev/null
  rm -rf "$tmp"
}

build_haproxy_rootfs() {
  local out="$1"
  debootstrap --variant=minbase --include="$HAPROXY_ROOTFS_PACKAGES" "$DEBIAN_SUITE" "$out/rootfs" \
    http://deb.debian.org/debian
  local r="$out/rootfs"
  # The official image's conventions: config dir, entrypoint that adds -W -db (master-worker,
  # foreground), user haproxy.
  mkdir -p "$r/usr/local/etc/haproxy"
  cp "$MLB_ROOT/scripts/lib/haproxy-entrypoint.sh" "$r/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$r/usr/local/bin/docker-entrypoint.sh"
  rm -rf "$r/var/cache/apt/archives"/*.deb "$r/var/lib/apt/lists"/* "$r/usr/share/doc" "$r/usr/share/man"
  chroot "$r" haproxy -v | sed -n 's/^HAProxy version \([0-9]*\.[0-9]*\).*/\1/p' >"$out/haproxy-minor"
  tar -C "$r" -c . >"$out/rootfs.tar"
  rm -rf "$r"
}

ensure_haproxy_image() {
  local built
  built="$(cat "$HAPROXY_ROOTFS_DIR/haproxy-minor")"
  [ "$built" = "$HAPROXY_MINOR" ] ||
    die "Debian $DEBIAN_SUITE ships HAProxy $built, but versions.env pins HAPROXY_MINOR=$HAPROXY_MINOR: change them together"
  # An image imported from another rootfs (an older package list) is replaced: same tag, new label.
  local have
  have="$(docker image inspect -f '{{ index .Config.Labels "mediamtx-lb.rootfs" }}' "$HAPROXY_IMAGE" 2>/dev/null)" ||
    have=""
  [ "$have" = "$HAPROXY_ROOTFS_KEY" ] && return 0
  docker import \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
    --change 'USER haproxy' \
    --change 'WORKDIR /var/lib/haproxy' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL mediamtx-lb.built-by=scripts/bootstrap' \
    --change "LABEL mediamtx-lb.rootfs=$HAPROXY_ROOTFS_KEY" \
    "$HAPROXY_ROOTFS_DIR/rootfs.tar" "$HAPROXY_IMAGE" >/dev/null
}

# keepalived moves the gateways' floating address (VRRP). Its own minbase rootfs: nothing of the
# HAProxy image is shared, and a keepalived update never touches the gateway image.
build_keepalived_rootfs() {
  local out="$1"
  debootstrap --variant=minbase --include="$KEEPALIVED_ROOTFS_PACKAGES" "$DEBIAN_SUITE" "$out/rootfs" \
    http://deb.debian.org/debian
  local r="$out/rootfs"
  # keepalived prints no translated messages: the locales go with the docs (a third of the rootfs;
  # most of the rest is the Perl that libsnmp pulls in).
  rm -rf "$r/var/cache/apt/archives"/*.deb "$r/var/lib/apt/lists"/* "$r/usr/share/doc" "$r/usr/share/man" \
    "$r/usr/share/locale" "$r/usr/share/info"
  # Debian's version without epoch and revision (1:2.2.7-1+b2 → 2.2.7): what KEEPALIVED_VERSION pins.
  dpkg-query --admindir="$r/var/lib/dpkg" -W -f '${Version}' keepalived |
    sed -E 's/^[0-9]+://; s/-[^-]*$//' >"$out/keepalived-version"
  tar -C "$r" -c . >"$out/rootfs.tar"
  rm -rf "$r"
}

# The cached rootfs plus the entrypoint and the gateway check, appended to a copy of its tar as
# root-owned files. The image is rebuilt when the rootfs or either script changes (its labels).
ensure_keepalived_image() {
  local built
  built="$(cat "$KEEPALIVED_ROOTFS_DIR/keepalived-version")"
  [ "$built" = "$KEEPALIVED_VERSION" ] ||
    die "Debian $DEBIAN_SUITE ships keepalived $built, but versions.env pins KEEPALIVED_VERSION=$KEEPALIVED_VERSION: change them together"
  local lib="$MLB_ROOT/scripts/lib" files have
  files="$(cat "$lib/keepalived-entrypoint.sh" "$lib/keepalived-check.sh" | sha256sum | cut -c1-12)"
  have="$(docker image inspect -f '{{ index .Config.Labels "mediamtx-lb.rootfs" }}/{{ index .Config.Labels "mediamtx-lb.files" }}' \
    "$KEEPALIVED_IMAGE" 2>/dev/null)" || have=""
  [ "$have" = "$KEEPALIVED_ROOTFS_KEY/$files" ] && return 0
  local tmp
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/add/usr/local/bin"
  install -m 755 "$lib/keepalived-entrypoint.sh" "$tmp/add/usr/local/bin/keepalived-entrypoint.sh"
  install -m 755 "$lib/keepalived-check.sh" "$tmp/add/usr/local/bin/gateway-check"
  cp "$KEEPALIVED_ROOTFS_DIR/rootfs.tar" "$tmp/rootfs.tar"
  tar -C "$tmp/add" --owner=0 --group=0 --numeric-owner -rf "$tmp/rootfs.tar" \
    ./usr/local/bin/keepalived-entrypoint.sh ./usr/local/bin/gateway-check
  docker import \
    --change 'ENTRYPOINT ["keepalived-entrypoint.sh"]' \
    --change 'CMD ["keepalived"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL org.opencontainers.image.version=$KEEPALIVED_VERSION" \
    --change 'LABEL mediamtx-lb.built-by=scripts/bootstrap' \
    --change "LABEL mediamtx-lb.rootfs=$KEEPALIVED_ROOTFS_KEY" \
    --change "LABEL mediamtx-lb.files=$files" \
    "$tmp/rootfs.tar" "$KEEPALIVED_IMAGE" >/dev/null
  rm -rf "$tmp"
}
