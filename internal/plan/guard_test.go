package plan

import (
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	changes := For(target(esm(), vpc(false)), Options{}).Changes // the endpoints' group and two endpoints
	tests := []struct {
		name        string
		tag         func(s *snapshotTags)
		scope       Scope
		wantAllowed int
		wantReason  string
	}{
		{"in scope", nil, Scope{MaxChanges: 10}, 3, ""},
		{"VPC opted out", func(s *snapshotTags) { s.vpc = true }, Scope{MaxChanges: 10}, 0, "VPC vpc-1 is tagged vpcmedic:remediate=false"},
		{"one subnet opted out", func(s *snapshotTags) { s.subnet = "priv-b" }, Scope{MaxChanges: 10}, 1, "subnet priv-b is tagged"},
		{"the workload's group opted out: the changes leave it alone", func(s *snapshotTags) { s.group = true }, Scope{MaxChanges: 10}, 3, ""},
		{"VPC outside the allow-list", nil, Scope{AllowedVPCs: []string{"vpc-2"}, MaxChanges: 10}, 0, "not in ALLOWED_VPCS"},
		{"VPC in the allow-list", nil, Scope{AllowedVPCs: []string{"vpc-1"}, MaxChanges: 10}, 3, ""},
		{"change limit", nil, Scope{MaxChanges: 2}, 2, "limit of 2 changes"},
		{"limit used by an earlier workload", nil, Scope{MaxChanges: 2, Used: 2}, 0, "limit of 2 changes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := vpc(false)
			if tt.tag != nil {
				var tags snapshotTags
				tt.tag(&tags)
				if tags.vpc {
					s.VPC.Tags = map[string]string{OptOutTag: "false"}
				}
				for i := range s.Subnets {
					if s.Subnets[i].ID == tags.subnet {
						s.Subnets[i].Tags = map[string]string{OptOutTag: "false"}
					}
				}
				if tags.group {
					s.SecurityGroups[0].Tags = map[string]string{OptOutTag: "false"}
				}
			}
			scope := tt.scope
			allowed, refused := Guard(s, &scope, changes)
			if len(allowed) != tt.wantAllowed || len(allowed)+len(refused) != len(changes) {
				t.Fatalf("allowed %d, refused %d, want %d allowed of %d", len(allowed), len(refused), tt.wantAllowed, len(changes))
			}
			for _, r := range refused {
				if !strings.Contains(r.Reason, tt.wantReason) {
					t.Errorf("reason = %q, want %q", r.Reason, tt.wantReason)
				}
			}
		})
	}
}

type snapshotTags struct {
	vpc, group bool
	subnet     string
}

// A route table tagged vpcmedic:remediate=false is left alone, as the
// template's IAM deny leaves it: the change is reported, not attempted.
func TestGuardLeavesAnOptedOutRouteTableAlone(t *testing.T) {
	s := vpc(false)
	if len(s.RouteTables) == 0 {
		t.Fatal("fixture has no route table")
	}
	rt := s.RouteTables[0].ID
	change := Change{Action: CreateRoute, VPCID: s.VPC.ID, RouteTableIDs: []string{rt}, NATGatewayID: "nat-1"}
	scope := Scope{MaxChanges: 10}
	if allowed, _ := Guard(s, &scope, []Change{change}); len(allowed) != 1 {
		t.Fatalf("an untagged route table's route refused")
	}
	s.RouteTables[0].Tags = map[string]string{OptOutTag: "false"}
	scope = Scope{MaxChanges: 10}
	allowed, refused := Guard(s, &scope, []Change{change})
	if len(allowed) != 0 || len(refused) != 1 || !strings.Contains(refused[0].Reason, "route table "+rt+" is tagged vpcmedic:remediate=false") {
		t.Errorf("allowed %v, refused %+v: want the route refused, naming the route table's tag", allowed, refused)
	}
}
