package main

import (
	"dockerprov/info"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
)

var version string

func main() { tfgen.Main("docker", version, info.Provider(version)) }
