package plan

import (
	"fmt"
	"slices"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// OptOutTag on a VPC, subnet, security group or route table keeps vpcmedic's hands off
// it: changes that touch it are only reported.
const OptOutTag = "vpcmedic:remediate"

// Scope limits what remediation may touch.
type Scope struct {
	// AllowedVPCs, when not empty, are the only VPCs changed.
	AllowedVPCs []string
	// MaxChanges caps the changes of one run; Used counts those already
	// taken by earlier workloads of the run.
	MaxChanges int
	Used       int
}

// Refusal is a change remediation may not make, and why.
type Refusal struct {
	Change Change
	Reason string
}

// Guard splits changes into those remediation may make and those it must
// only report: VPCs outside the allow-list, resources tagged
// vpcmedic:remediate=false, and anything past the change limit. The changes
// of a Group are allowed or refused together.
func Guard(s *network.Snapshot, scope *Scope, changes []Change) (allowed []Change, refused []Refusal) {
	groups := map[string]string{} // group -> why refused ("" allowed)
	for _, c := range changes {
		reason := ""
		if c.Group == "" {
			reason = optedOut(s, scope, c)
			if reason == "" && scope.Used >= scope.MaxChanges {
				reason = fmt.Sprintf("the limit of %d changes per run is reached (MAX_CHANGES)", scope.MaxChanges)
			}
			if reason == "" {
				scope.Used++
			}
		} else {
			var decided bool
			if reason, decided = groups[c.Group]; !decided {
				reason = groupRefusal(s, scope, changes, c.Group)
				groups[c.Group] = reason
			}
		}
		if reason != "" {
			refused = append(refused, Refusal{c, reason})
			continue
		}
		allowed = append(allowed, c)
	}
	return allowed, refused
}

// groupRefusal decides for all the changes of a group at once, and takes
// room for all of them under the limit when they are allowed.
func groupRefusal(s *network.Snapshot, scope *Scope, changes []Change, group string) string {
	n := 0
	for _, c := range changes {
		if c.Group != group {
			continue
		}
		n++
		if reason := optedOut(s, scope, c); reason != "" {
			return fmt.Sprintf("%s, and the %s changes are made together or not at all", reason, group)
		}
	}
	if scope.Used+n > scope.MaxChanges {
		return fmt.Sprintf("the limit of %d changes per run (MAX_CHANGES) leaves no room for the %d %s changes, which are made together or not at all", scope.MaxChanges, n, group)
	}
	scope.Used += n
	return ""
}

func optedOut(s *network.Snapshot, scope *Scope, c Change) string {
	vpc := s.VPC.ID
	if len(scope.AllowedVPCs) > 0 && !slices.Contains(scope.AllowedVPCs, vpc) {
		return fmt.Sprintf("VPC %s is not in ALLOWED_VPCS", vpc)
	}
	if s.VPC.Tags[OptOutTag] == "false" {
		return fmt.Sprintf("VPC %s is tagged %s=false", vpc, OptOutTag)
	}
	for _, id := range c.SubnetIDs {
		if sn, ok := s.Subnet(id); ok && sn.Tags[OptOutTag] == "false" {
			return fmt.Sprintf("subnet %s is tagged %s=false", id, OptOutTag)
		}
	}
	groups := slices.Concat(c.GroupIDs, []string{c.GroupID})
	for _, id := range groups {
		if g, ok := s.SecurityGroup(id); ok && g.Tags[OptOutTag] == "false" {
			return fmt.Sprintf("security group %s is tagged %s=false", id, OptOutTag)
		}
	}
	for _, rt := range c.RouteTableIDs {
		for _, t := range s.RouteTables {
			if t.ID != rt {
				continue
			}
			if t.Tags[OptOutTag] == "false" {
				return fmt.Sprintf("route table %s is tagged %s=false", rt, OptOutTag)
			}
			for _, sn := range t.SubnetIDs {
				if sub, ok := s.Subnet(sn); ok && sub.Tags[OptOutTag] == "false" {
					return fmt.Sprintf("route table %s serves subnet %s, tagged %s=false", rt, sn, OptOutTag)
				}
			}
		}
	}
	return ""
}
