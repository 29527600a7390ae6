package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
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

// natAdvice recommends what would let a NAT gateway the VPC already has
// carry a gap's traffic where only something vpcmedic never changes stands
// in the way: VPC Block Public Access keeping the gateway off the internet,
// or a regional gateway whose zones are managed by hand having no address
// in the gap's zone. The plan goes on with endpoints, which neither
// affects; the recommendation names the free path a person may prefer.
func (p *planner) natAdvice(gaps []reach.ServicePath) {
	for _, g := range gaps {
		egress := reach.DefaultEgress(p.snap, g.SubnetID)
		var candidates []network.NATGateway
		table := "" // the route table to route, when it has no default route
		switch {
		case egress.Kind == reach.EgressNAT && egress.NAT != nil:
			candidates = []network.NATGateway{*egress.NAT}
		case egress.Kind == reach.EgressNone && egress.TargetID == "" && egress.RouteTableID != "" && !reach.Public(p.snap, g.SubnetID):
			if _, ok := natInZone(p.snap, g.AZ); ok {
				continue
			}
			candidates, table = p.snap.NATGateways, egress.RouteTableID
		}
		for _, n := range candidates {
			rec := p.natUnblock(n, g, table)
			if rec != "" && !slices.Contains(p.plan.Recommendations, rec) {
				p.plan.Recommendations = append(p.plan.Recommendations, rec)
			}
		}
	}
}

// natUnblock is the recommendation that makes NAT gateway n carry gap g's
// traffic, with the commands, or "" when n would not serve g's zone anyway
// or already can.
func (p *planner) natUnblock(n network.NATGateway, g reach.ServicePath, table string) string {
	if n.State != "available" || n.Connectivity != "public" {
		return ""
	}
	region := " --region " + p.t.Region
	var causes, steps, untouched []string
	if ok, _ := reach.NATServes(p.snap, n, g.AZ); !ok {
		if !servesWithAddress(p.snap, n, g.AZ) {
			return ""
		}
		causes = append(causes, fmt.Sprintf("regional NAT gateway %s has no address in %s and its zones are managed by hand (automatic zone provisioning disabled)", n.ID, g.AZ))
		untouched = append(untouched, "a NAT gateway's addresses")
		// A new Elastic IP for the zone, allocated in the same command.
		steps = append(steps, fmt.Sprintf("aws ec2 associate-nat-gateway-address --nat-gateway-id %s --allocation-ids \"$(aws ec2 allocate-address --domain vpc --query AllocationId --output text%s)\" --availability-zone %s%s", n.ID, region, g.AZ, region))
	}
	if access := natEgress(p.snap, n); access.Blocked || access.Unknown {
		exclude := "--subnet-id " + n.SubnetID
		cause := fmt.Sprintf("%s, so NAT gateway %s (in subnet %s) cannot reach the internet", access.Setting, n.ID, n.SubnetID)
		if n.Regional() {
			exclude = "--vpc-id " + p.snap.VPC.ID
			cause = fmt.Sprintf("%s, and regional NAT gateway %s has no subnet to exclude: the EC2 documentation does not say whether its traffic gets out", access.Setting, n.ID)
		}
		causes = append(causes, cause)
		untouched = append(untouched, "Block Public Access")
		steps = append(steps, fmt.Sprintf("aws ec2 create-vpc-block-public-access-exclusion %s --internet-gateway-exclusion-mode allow-egress%s", exclude, region))
	}
	if len(causes) == 0 {
		return ""
	}
	if table != "" {
		steps = append(steps, command(p.t.Region, Change{Action: CreateRoute, RouteTableIDs: []string{table}, NATGatewayID: n.ID}))
	}
	return fmt.Sprintf("NAT gateway %s could carry the internet traffic of subnet %s (%s) without new endpoints, but %s. vpcmedic never changes %s; if the gateway should carry this zone's traffic: %s",
		n.ID, g.SubnetID, g.AZ, strings.Join(causes, "; and "), strings.Join(untouched, " or "), strings.Join(steps, " && "))
}

// servesWithAddress reports whether a regional NAT gateway whose zones are
// managed by hand would serve zone az once it has an address there.
func servesWithAddress(s *network.Snapshot, n network.NATGateway, az string) bool {
	if !n.Regional() || n.AutoProvisionZones != "disabled" || slices.Contains(n.Zones, az) {
		return false
	}
	n.Zones = append(slices.Clone(n.Zones), az)
	ok, _ := reach.NATServes(s, n, az)
	return ok
}
