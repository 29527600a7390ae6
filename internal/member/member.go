// Package member holds the CloudFormation template of a vpcmedic member account: the rules that
// forward its CloudTrail events to the hub's bus and the role the hub's functions assume there.
// It is plain CloudFormation (no Transform) so that StackSets with service-managed permissions
// can roll it out across an organisation; `go run ./internal/member/cmd` prints it.
package member

import _ "embed"

//go:embed member.yaml
var template []byte

// Template returns the member template (YAML).
func Template() []byte { return append([]byte(nil), template...) }
