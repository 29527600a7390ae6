package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// vpcAccessPolicy grants what Lambda needs to attach a function to a VPC.
const vpcAccessPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

// databases recommends the security group pair of each database the
// function cannot reach. Database groups belong to the database's owner:
// vpcmedic proposes the rules, it does not add them.
func (p *planner) databases() {
	t := p.target()
	fnGroup := p.workloadGroup()
	for _, db := range t.Databases {
		if db.Unresolved != "" || db.Port == 0 || len(db.SecurityGroupIDs) == 0 || fnGroup == "" || db.VPCID != "" && db.VPCID != p.snap.VPC.ID {
			continue
		}
		if !databaseBlocked(t, db) {
			continue
		}
		dbGroup := db.SecurityGroupIDs[0]
		var cmds []string
		if !ingressFromGroup(p.snap, dbGroup, fnGroup, db.Port) {
			cmds = append(cmds, fmt.Sprintf("aws ec2 authorize-security-group-ingress --region %s --group-id %s --protocol tcp --port %d --source-group %s", p.t.Region, dbGroup, db.Port, fnGroup))
		}
		if !egressToGroup(p.snap, fnGroup, dbGroup, db.Port) {
			cmds = append(cmds, fmt.Sprintf("aws ec2 authorize-security-group-egress --region %s --group-id %s --ip-permissions IpProtocol=tcp,FromPort=%d,ToPort=%d,UserIdGroupPairs=[{GroupId=%s}]", p.t.Region, fnGroup, db.Port, db.Port, dbGroup))
		}
		rec := fmt.Sprintf("Let the function reach database %s (needed because %s): allow TCP %d into its group %s from the function's group %s, and out of %s to %s (vpcmedic does not change database groups)",
			check.DatabaseName(db), db.Why, db.Port, dbGroup, fnGroup, fnGroup, dbGroup)
		if len(cmds) > 0 {
			rec += ": " + strings.Join(cmds, " && ")
		} else {
			rec += "; both rules exist, so check the network ACLs of the function's and the database's subnets"
		}
		p.plan.Recommendations = append(p.plan.Recommendations, rec)
	}
}

func databaseBlocked(t *check.Target, db workload.Database) bool {
	for _, sn := range t.Subnets() {
		for _, to := range db.SubnetIDs {
			if _, ok := t.Network.Subnet(to); !ok {
				continue
			}
			from := reach.Place{SubnetID: sn.ID, GroupIDs: t.Workload.Network.SecurityGroupIDs}
			if !reach.Flow(t.Network, from, reach.Place{SubnetID: to, GroupIDs: db.SecurityGroupIDs}, db.Port).Allowed {
				return true
			}
		}
	}
	return false
}

// permissions recommends the managed policy that gives a function's
// execution role the network interface actions it lacks. vpcmedic never
// changes IAM.
func (p *planner) permissions() {
	t := p.t
	if t.Workload.Kind != workload.KindFunction || t.Permissions == nil || t.Permissions.Err != "" {
		return
	}
	var missing []string
	for _, n := range t.PermissionNeeds {
		if !t.Permissions.Allowed(n) {
			missing = append(missing, n.AnyOf...)
		}
	}
	if len(missing) == 0 {
		return
	}
	role := t.Permissions.RoleARN
	name := role[strings.LastIndex(role, "/")+1:]
	p.plan.Recommendations = append(p.plan.Recommendations, fmt.Sprintf(
		"Give execution role %s the network interface permissions it lacks (%s), e.g. with the AWS managed policy AWSLambdaVPCAccessExecutionRole (vpcmedic never changes IAM): aws iam attach-role-policy --role-name %s --policy-arn %s",
		role, strings.Join(slices.Compact(missing), ", "), name, vpcAccessPolicy))
}
