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
