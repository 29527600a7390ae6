package trail

import "testing"

func TestActorMadeByAnyOfVpcmedicsRoles(t *testing.T) {
	roles := []string{
		"arn:aws:iam::123456789012:role/vpcmedic-OnLambdaChangeFunctionRole-A1",
		"arn:aws:iam::123456789012:role/vpcmedic-OnNetworkChangeFunctionRole-B2",
		"arn:aws:iam::123456789012:role/vpcmedic-SweepFunctionRole-C3",
	}
	session := func(role, name string) *Actor {
		return &Actor{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/" + role + "/" + name, RoleARN: "arn:aws:iam::123456789012:role/" + role}
	}
	tests := []struct {
		name  string
		actor *Actor
		want  string
	}{
		{"the on-lambda-change role", session("vpcmedic-OnLambdaChangeFunctionRole-A1", "vpcmedic-OnLambdaChange-x"), roles[0]},
		{"the on-network-change role, any session", session("vpcmedic-OnNetworkChangeFunctionRole-B2", "another-session"), roles[1]},
		{"the sweep role", session("vpcmedic-SweepFunctionRole-C3", "s"), roles[2]},
		{"a role named like them but another", session("vpcmedic-SweepFunctionRole-C4", "s"), ""},
		{"an administrator", session("Admin", "alice"), ""},
		{"no actor", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.actor.MadeByAny(roles)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("MadeByAny = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	if _, ok := session("Admin", "alice").MadeByAny(nil); ok {
		t.Error("no roles configured, yet an actor is recognised")
	}
}
