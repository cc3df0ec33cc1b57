# shellcheck shell=bash
# build_docker_provider OUTDIR VERSION: builds the plugin pulumi-resource-docker that the @pulumi/docker
# npm SDK drives, from the Go module proxy alone (Pulumi's binary releases are out of reach and the
# official pulumi-docker module is not on the proxy): the kreuzwerker Terraform provider wrapped by
# pulumi-terraform-bridge, with names mapped to those of the npm SDK. The Go code and the go.mod
# template are in scripts/lib/docker-provider/, the pins (DOCKERPROV_*) in versions.env. Prints
# nothing but errors. Sourced after common.sh; no side effects when sourced.

DOCKER_PROVIDER_SRC="$MLB_ROOT/scripts/lib/docker-provider"

# @pulumi/docker version → its cache entry. The version alone does not say what was built, so the key
# also hashes the Go sources, the go.mod template, the DOCKERPROV_* pins and the build function's code
# (`declare -f` leaves out comments): any change to them builds a new entry.
docker_provider_dir() {
  local hash
  hash="$(
    {
      (cd "$DOCKER_PROVIDER_SRC" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
      grep '^DOCKERPROV_' "$MLB_ROOT/versions.env"
      declare -f build_docker_provider
    } | sha256sum
  )"
  printf '%s\n' "$MLB_CACHE/pulumi-resource-docker-$1-${hash:0:12}"
}

# Writes TEMPLATE to stdout with every @NAME@ replaced by the value of $NAME; an unset or empty NAME
# is an error, so a placeholder can never reach the output.
render_template() {
  local template="$1" text name
  text="$(<"$template")"
  for name in $(grep -o '@[A-Z][A-Z0-9_]*@' "$template" | tr -d @ | sort -u); do
    [ -n "${!name:-}" ] || die "$template: @$name@ has no value (versions.env)"
    text="${text//@$name@/${!name}}"
  done
  printf '%s\n' "$text"
}

# Runs in its own subshell (cd, trap, exports stay inside) with errexit on, under cache_build.
build_docker_provider() (
  set -euo pipefail
  local out="$1" version="$2" work dl
  if [ "$version" != "$DOCKERPROV_SDK_VERSION" ]; then
    echo "build_docker_provider: names are mapped for @pulumi/docker $DOCKERPROV_SDK_VERSION, not $version" >&2
    exit 1
  fi
  mkdir -p "$out"
  work="$(mktemp -d "$(dirname "$out")/.docker-provider-build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # go.sum is made here and sum.golang.org is unreachable; the upstream zip is checked below instead.
  export GOFLAGS="-mod=mod -buildvcs=false" GOSUMDB=off GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0
  quiet() {
    local log
    log="$("$@" 2>&1)" || {
      printf '%s\n' "$log" >&2
      return 1
    }
  }
  cd "$work"

  dl="$(go mod download -json "github.com/kreuzwerker/terraform-provider-docker@$DOCKERPROV_UPSTREAM" 2>&1)" ||
    { printf '%s\n' "$dl" >&2; exit 1; }
  grep -qF "\"Sum\": \"$DOCKERPROV_UPSTREAM_SUM\"" <<<"$dl" ||
    { printf 'build_docker_provider: upstream checksum mismatch:\n%s\n' "$dl" >&2; exit 1; }
  cp -r "$(sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p' <<<"$dl")" upstream
  chmod -R u+w upstream
  # The Go files are exactly what this script used to write from heredocs (the plugin built from them
  # was byte-identical), so what they do is said here:
  # - shim/: upstream keeps its provider in internal/, so a package inside its module re-exports it.
  # - info/: the mapping. Tokens come from the bridge's automatic naming (docker_foo_bar ->
  #   docker:index/fooBar:FooBar, lists pluralised, one-item blocks flattened); only what @pulumi/docker
  #   names otherwise is spelled out.
  # - cmd/tfgen writes the schema; cmd/pulumi-resource-docker is the plugin, with that schema embedded.
  cp -r "$DOCKER_PROVIDER_SRC/shim" upstream/shim
  cp -r "$DOCKER_PROVIDER_SRC/info" "$DOCKER_PROVIDER_SRC/cmd" .
  render_template "$DOCKER_PROVIDER_SRC/go.mod.in" >go.mod

  # no_compose: docker_compose is a plugin-framework resource, which this SDKv2-only bridge never serves;
  # -trimpath keeps the temp dir out of the binary and the build cache keys.
  local build=(go build -trimpath -tags no_compose -ldflags "-s -w -X main.version=$version")
  quiet go mod tidy
  quiet "${build[@]}" -o tfgen.bin ./cmd/tfgen
  quiet ./tfgen.bin schema --out gen --skip-docs --skip-examples
  # tfgen leaves the version out of the schema; the plugin reports it.
  sed '0,/"name": "docker",/s//&\n    "version": "'"$version"'",/' gen/schema.json >cmd/pulumi-resource-docker/schema.json
  grep -qF "\"version\": \"$version\"," cmd/pulumi-resource-docker/schema.json ||
    { echo "build_docker_provider: tfgen's schema has no \"name\": \"docker\" line to add the version after" >&2; exit 1; }
  quiet "${build[@]}" -o pulumi-resource-docker ./cmd/pulumi-resource-docker
  mv pulumi-resource-docker "$out/pulumi-resource-docker"
)
