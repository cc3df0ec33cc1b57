# shellcheck shell=bash
# build_docker_provider VERSION OUTDIR: builds the plugin pulumi-resource-docker that the @pulumi/docker
# npm SDK drives, from the Go module proxy alone (Pulumi's binary releases are out of reach and the
# official pulumi-docker module is not on the proxy): the kreuzwerker Terraform provider wrapped by
# pulumi-terraform-bridge, with names mapped to those of the npm SDK. Prints nothing but errors.
# The pins (DOCKERPROV_*) are in versions.env.

# Runs under cache_build with errexit on; every step also ends in `|| return 1`.
build_docker_provider() (
  set -euo pipefail
  local version="$1" out="$2" work dl
  # cache_build passes the output dir first: accept either order.
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { version="$2" out="$1"; }
  if [ "$version" != "$DOCKERPROV_SDK_VERSION" ]; then
    echo "build_docker_provider: names are mapped for @pulumi/docker $DOCKERPROV_SDK_VERSION, not $version" >&2
    return 1
  fi
  mkdir -p "$out" || return 1
  work="$(mktemp -d "$(dirname "$out")/.docker-provider-build.XXXXXX")" || return 1
  trap 'rm -rf "$work"' EXIT
  # go.sum is made here and sum.golang.org is unreachable; the upstream zip is checked below instead.
  export GOFLAGS="-mod=mod -buildvcs=false" GOSUMDB=off GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0
  quiet() { local log; log="$("$@" 2>&1)" || { printf '%s\n' "$log" >&2; return 1; }; }
  cd "$work" || return 1

  dl="$(go mod download -json "github.com/kreuzwerker/terraform-provider-docker@$DOCKERPROV_UPSTREAM" 2>&1)" ||
    { printf '%s\n' "$dl" >&2; return 1; }
  grep -qF "\"Sum\": \"$DOCKERPROV_UPSTREAM_SUM\"" <<<"$dl" ||
    { printf 'build_docker_provider: upstream checksum mismatch:\n%s\n' "$dl" >&2; return 1; }
  cp -r "$(sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p' <<<"$dl")" upstream || return 1
  chmod -R u+w upstream && mkdir -p upstream/shim info cmd/tfgen cmd/pulumi-resource-docker || return 1

  # Upstream keeps its provider in internal/: a package inside its module re-exports it.
  cat >upstream/shim/shim.go <<'EOF'
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

func NewProvider(version string) *schema.Provider { return provider.New(version)() }
EOF
  cat >go.mod <<EOF
module dockerprov

go $DOCKERPROV_GO

require (
	github.com/pulumi/pulumi-terraform-bridge/v3 $DOCKERPROV_BRIDGE
	github.com/terraform-providers/terraform-provider-docker v0.0.0
)

replace (
	github.com/terraform-providers/terraform-provider-docker => ./upstream
	github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 $DOCKERPROV_TF_SDK_FORK
	github.com/hashicorp/terraform-plugin-go => github.com/hashicorp/terraform-plugin-go $DOCKERPROV_PLUGIN_GO
	github.com/hashicorp/terraform-plugin-framework => github.com/hashicorp/terraform-plugin-framework $DOCKERPROV_FRAMEWORK
)
EOF
  # Tokens come from the bridge's automatic naming (docker_foo_bar -> docker:index/fooBar:FooBar, lists
  # pluralised, one-item blocks flattened); only what @pulumi/docker names otherwise is spelled out.
  cat >info/info.go <<'EOF'
package info

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

func Provider(version string) tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:         shimv2.NewProvider(shim.NewProvider(version)),
		Name:      "docker",
		Version:   version,
		GitHubOrg: "kreuzwerker",
		Config:    map[string]*tfbridge.SchemaInfo{"registry_auth": {Name: "registryAuth"}},
		Resources: map[string]*tfbridge.ResourceInfo{
			// The SDK keeps these two lists singular.
			"docker_container": {Fields: map[string]*tfbridge.SchemaInfo{
				"command":           {Name: "command"},
				"networks_advanced": {Name: "networksAdvanced"},
			}},
			// The SDK's Image is Pulumi's own build resource; the Terraform one is RemoteImage, and
			// its name is the image reference, so it must stay required (not auto-named).
			"docker_image":  {Tok: "docker:index/remoteImage:RemoteImage", Fields: map[string]*tfbridge.SchemaInfo{"name": {}}},
			"docker_config": {Tok: "docker:index/serviceConfig:ServiceConfig"},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	p.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	p.SetAutonaming(255, "-") // the SDK makes every other `name` optional
	return p
}
EOF
  cat >cmd/tfgen/main.go <<'EOF'
package main

import (
	"dockerprov/info"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
)

var version string

func main() { tfgen.Main("docker", version, info.Provider(version)) }
EOF
  cat >cmd/pulumi-resource-docker/main.go <<'EOF'
package main

import (
	_ "embed"

	"dockerprov/info"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

var version string

//go:embed schema.json
var schema []byte

func main() { tfbridge.Main("docker", version, info.Provider(version), schema) }
EOF

  # no_compose: docker_compose is a plugin-framework resource, which this SDKv2-only bridge never serves;
  # -trimpath keeps the temp dir out of the binary and the build cache keys.
  local build=(go build -trimpath -tags no_compose -ldflags "-s -w -X main.version=$version")
  quiet go mod tidy || return 1
  quiet "${build[@]}" -o tfgen.bin ./cmd/tfgen || return 1
  quiet ./tfgen.bin schema --out gen --skip-docs --skip-examples || return 1
  # tfgen leaves the version out of the schema; the plugin reports it.
  sed '0,/"name": "docker",/s//&\n    "version": "'"$version"'",/' gen/schema.json >cmd/pulumi-resource-docker/schema.json || return 1
  quiet "${build[@]}" -o pulumi-resource-docker ./cmd/pulumi-resource-docker || return 1
  mv pulumi-resource-docker "$out/pulumi-resource-docker"
)
