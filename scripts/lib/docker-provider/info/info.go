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
