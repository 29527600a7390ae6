package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// natWait bounds the wait for a NAT gateway to become available or deleted
// (immediate on moto, a few minutes on AWS).
const natWait = 10 * time.Minute

// VPC is a VPC created by a Scenario, with the resources AWS created with it.
type VPC struct {
	s *Scenario

	ID               string
	CIDR             string
	Name             string
	MainRouteTableID string
	DefaultSGID      string
	DefaultNACLID    string
	// IGWID is set once an internet gateway is attached (by PublicSubnets or
	// InternetGateway).
	IGWID string

	nats map[string]*NAT // by public subnet ID
}

// VPC creates a VPC with DNS support and DNS hostnames both enabled, as
// private DNS of interface endpoints requires.
func (s *Scenario) VPC(cidr string) *VPC {
	s.vpcs++
	v := &VPC{s: s, CIDR: cidr, Name: s.name, nats: map[string]*NAT{}}
	if s.vpcs > 1 {
		v.Name = fmt.Sprintf("%s-%d", s.name, s.vpcs)
	}
	s.do("create vpc "+cidr, func(ctx context.Context) error {
		out, err := s.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{
			CidrBlock:         aws.String(cidr),
			TagSpecifications: s.tagSpec(ec2types.ResourceTypeVpc, v.Name),
		})
		if err != nil {
			return err
		}
		v.ID = aws.ToString(out.Vpc.VpcId)
		return nil
	})
	v.setDNS(dnsSupport, true)
	v.setDNS(dnsHostnames, true)
	s.do("describe defaults of vpc "+cidr, v.readDefaults)
	return v
}

func (v *VPC) readDefaults(ctx context.Context) error {
	byVPC := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{v.ID}}}
	rts, err := v.s.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
		Filters: append(byVPC, ec2types.Filter{Name: aws.String("association.main"), Values: []string{"true"}}),
	})
	if err != nil {
		return err
	}
	if len(rts.RouteTables) != 1 {
		return fmt.Errorf("%d main route tables in %s", len(rts.RouteTables), v.ID)
	}
	v.MainRouteTableID = aws.ToString(rts.RouteTables[0].RouteTableId)

	sgs, err := v.s.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: append(byVPC, ec2types.Filter{Name: aws.String("group-name"), Values: []string{"default"}}),
	})
	if err != nil {
		return err
	}
	if len(sgs.SecurityGroups) != 1 {
		return fmt.Errorf("%d default security groups in %s", len(sgs.SecurityGroups), v.ID)
	}
	v.DefaultSGID = aws.ToString(sgs.SecurityGroups[0].GroupId)

	acls, err := v.s.ec2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
		Filters: append(byVPC, ec2types.Filter{Name: aws.String("default"), Values: []string{"true"}}),
	})
	if err != nil {
		return err
	}
	if len(acls.NetworkAcls) != 1 {
		return fmt.Errorf("%d default network acls in %s", len(acls.NetworkAcls), v.ID)
	}
	v.DefaultNACLID = aws.ToString(acls.NetworkAcls[0].NetworkAclId)
	return nil
}

// Names of the VPC DNS attributes setDNS changes.
const (
	dnsSupport   = "dns support"
	dnsHostnames = "dns hostnames"
)

// setDNS sets one DNS attribute; ModifyVpcAttribute takes one per call.
func (v *VPC) setDNS(attr string, on bool) {
	verb := "disable"
	if on {
		verb = "enable"
	}
	v.s.do(fmt.Sprintf("%s %s of vpc %s", verb, attr, v.CIDR), func(ctx context.Context) error {
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(v.ID)}
		value := &ec2types.AttributeBooleanValue{Value: aws.Bool(on)}
		if attr == dnsSupport {
			in.EnableDnsSupport = value
		} else {
			in.EnableDnsHostnames = value
		}
		_, err := v.s.ec2.ModifyVpcAttribute(ctx, in)
		return err
	})
}

// DisableDNSHostnames turns enableDnsHostnames off, which silently disables
// the private DNS names of interface endpoints.
func (v *VPC) DisableDNSHostnames() *VPC {
	v.setDNS(dnsHostnames, false)
	return v
}

// DisableDNSSupport turns enableDnsSupport off, which also disables the
// private DNS names of interface endpoints.
func (v *VPC) DisableDNSSupport() *VPC {
	v.setDNS(dnsSupport, false)
	return v
}

// Tag adds a tag to the VPC.
func (v *VPC) Tag(key, value string) *VPC {
	v.s.TagEC2(v.ID, key, value)
	return v
}

// InternetGateway creates and attaches an internet gateway on first use and
// returns its ID.
func (v *VPC) InternetGateway() string {
	if v.IGWID != "" {
		return v.IGWID
	}
	v.s.do("create internet gateway for vpc "+v.CIDR, func(ctx context.Context) error {
		out, err := v.s.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeInternetGateway, v.Name+"-igw"),
		})
		if err != nil {
			return err
		}
		id := aws.ToString(out.InternetGateway.InternetGatewayId)
		if _, err := v.s.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{
			InternetGatewayId: aws.String(id),
			VpcId:             aws.String(v.ID),
		}); err != nil {
			return err
		}
		v.IGWID = id
		return nil
	})
	return v.IGWID
}

// Subnet is a subnet created by a Scenario.
type Subnet struct {
	ID   string
	CIDR string
	AZ   string
	// RouteTableID is the route table the subnet uses: its explicit
	// association, or the VPC's main route table.
	RouteTableID string
	// Public is true for subnets made by PublicSubnets (RouteToIGW on a
	// table does not update it).
	Public bool
}

// Subnets is an ordered list of subnets, in the order they were asked for.
type Subnets []*Subnet

// IDs returns the subnet IDs.
func (ss Subnets) IDs() []string {
	ids := make([]string, len(ss))
	for i, sub := range ss {
		ids[i] = sub.ID
	}
	return ids
}

// RouteTableIDs returns the distinct route tables of the subnets, in order.
func (ss Subnets) RouteTableIDs() []string {
	var ids []string
	for _, sub := range ss {
		if !slices.Contains(ids, sub.RouteTableID) {
			ids = append(ids, sub.RouteTableID)
		}
	}
	return ids
}

// AZs returns the distinct availability zones of the subnets, in order.
func (ss Subnets) AZs() []string {
	var azs []string
	for _, sub := range ss {
		if !slices.Contains(azs, sub.AZ) {
			azs = append(azs, sub.AZ)
		}
	}
	return azs
}

// InAZ returns the first subnet in az, or nil.
func (ss Subnets) InAZ(az string) *Subnet {
	for _, sub := range ss {
		if sub.AZ == az {
			return sub
		}
	}
	return nil
}

// PublicSubnets creates subnets sharing one route table that sends
// 0.0.0.0/0 to the VPC's internet gateway (created on first use). A spec is
// "CIDR@AZ"; the AZ may be a full name ("us-east-1a") or the zone letter
// alone ("a"), and defaults to zone a.
func (v *VPC) PublicSubnets(specs ...string) Subnets {
	igw := v.InternetGateway()
	rt := v.RouteTable(v.Name + "-public")
	v.s.do("route 0.0.0.0/0 of "+v.Name+"-public to internet gateway", func(ctx context.Context) error {
		return v.s.createRoute(ctx, rt, &ec2.CreateRouteInput{GatewayId: aws.String(igw)})
	})
	subs := v.subnets("public", specs)
	for _, sub := range subs {
		v.associate(sub, rt)
		sub.Public = true
	}
	return subs
}

// PrivateSubnets creates subnets with one route table each and no default
// route; NATPerAZ or RouteToNAT adds one.
func (v *VPC) PrivateSubnets(specs ...string) Subnets {
	subs := v.subnets("private", specs)
	for _, sub := range subs {
		v.associate(sub, v.RouteTable(fmt.Sprintf("%s-private-%s", v.Name, sub.AZ)))
	}
	return subs
}

// SubnetsOnMainTable creates subnets with no explicit route table
// association: they use the VPC's main route table.
func (v *VPC) SubnetsOnMainTable(specs ...string) Subnets {
	subs := v.subnets("main", specs)
	for _, sub := range subs {
		sub.RouteTableID = v.MainRouteTableID
	}
	return subs
}

func (v *VPC) subnets(kind string, specs []string) Subnets {
	subs := make(Subnets, 0, len(specs))
	for _, spec := range specs {
		sub := &Subnet{}
		subs = append(subs, sub)
		v.s.do(fmt.Sprintf("create %s subnet %s", kind, spec), func(ctx context.Context) error {
			cidr, az, err := v.s.parseSubnetSpec(spec)
			if err != nil {
				return err
			}
			sub.CIDR, sub.AZ = cidr, az
			out, err := v.s.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
				VpcId:             aws.String(v.ID),
				CidrBlock:         aws.String(cidr),
				AvailabilityZone:  aws.String(az),
				TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeSubnet, fmt.Sprintf("%s-%s-%s", v.Name, kind, az)),
			})
			if err != nil {
				return err
			}
			sub.ID = aws.ToString(out.Subnet.SubnetId)
			return nil
		})
	}
	return subs
}

func (s *Scenario) parseSubnetSpec(spec string) (cidr, az string, err error) {
	cidr, az, found := strings.Cut(spec, "@")
	if !strings.Contains(cidr, "/") {
		return "", "", fmt.Errorf("subnet spec %q: want CIDR@AZ", spec)
	}
	switch {
	case !found || az == "":
		az = s.region + "a"
	case len(az) == 1:
		az = s.region + az
	}
	return cidr, az, nil
}

// RouteTable creates an empty route table (local route only) named name.
func (v *VPC) RouteTable(name string) string {
	var id string
	v.s.do("create route table "+name, func(ctx context.Context) error {
		out, err := v.s.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{
			VpcId:             aws.String(v.ID),
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeRouteTable, name),
		})
		if err != nil {
			return err
		}
		id = aws.ToString(out.RouteTable.RouteTableId)
		return nil
	})
	return id
}

func (v *VPC) associate(sub *Subnet, routeTableID string) {
	v.s.do(fmt.Sprintf("associate subnet %s with route table %s", sub.CIDR, routeTableID), func(ctx context.Context) error {
		_, err := v.s.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
			RouteTableId: aws.String(routeTableID),
			SubnetId:     aws.String(sub.ID),
		})
		if err != nil {
			return err
		}
		sub.RouteTableID = routeTableID
		return nil
	})
}

// createRoute adds 0.0.0.0/0 to routeTableID with the target set in in.
func (s *Scenario) createRoute(ctx context.Context, routeTableID string, in *ec2.CreateRouteInput) error {
	in.RouteTableId = aws.String(routeTableID)
	in.DestinationCidrBlock = aws.String("0.0.0.0/0")
	_, err := s.ec2.CreateRoute(ctx, in)
	return err
}

// RouteToIGW adds 0.0.0.0/0 to the internet gateway in a route table, e.g.
// the main route table, which makes its subnets public.
func (v *VPC) RouteToIGW(routeTableID string) {
	igw := v.InternetGateway()
	v.s.do("route 0.0.0.0/0 of "+routeTableID+" to internet gateway", func(ctx context.Context) error {
		return v.s.createRoute(ctx, routeTableID, &ec2.CreateRouteInput{GatewayId: aws.String(igw)})
	})
}

// NAT is a public NAT gateway with an Elastic IP.
type NAT struct {
	ID           string
	SubnetID     string
	AZ           string
	AllocationID string

	// Regional is set for a regional NAT gateway (RegionalNAT), which has no
	// subnet or zone of its own. Zones are the zones given in manual mode,
	// each with the Elastic IP in AllocationIDs at the same index; none in
	// automatic mode.
	Regional      bool
	Zones         []string
	AllocationIDs []string
}

// NAT creates a public NAT gateway in a public subnet and waits until it is
// available. It adds no route: see RouteToNAT and NATPerAZ.
func (v *VPC) NAT(in *Subnet) *NAT {
	if nat, ok := v.nats[in.ID]; ok && in.ID != "" {
		return nat
	}
	nat := &NAT{SubnetID: in.ID, AZ: in.AZ}
	name := fmt.Sprintf("%s-nat-%s", v.Name, in.AZ)
	v.s.do("create nat gateway in subnet "+in.CIDR, func(ctx context.Context) error {
		eip, err := v.s.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{
			Domain:            ec2types.DomainTypeVpc,
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeElasticIp, name),
		})
		if err != nil {
			return err
		}
		nat.AllocationID = aws.ToString(eip.AllocationId)
		out, err := v.s.ec2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{
			SubnetId:          aws.String(in.ID),
			AllocationId:      eip.AllocationId,
			ConnectivityType:  ec2types.ConnectivityTypePublic,
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeNatgateway, name),
		})
		if err != nil {
			return err
		}
		nat.ID = aws.ToString(out.NatGateway.NatGatewayId)
		return ec2.NewNatGatewayAvailableWaiter(v.s.ec2).Wait(ctx,
			&ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat.ID}}, natWait)
	})
	v.nats[in.ID] = nat
	return nat
}

// RegionalNAT creates a regional NAT gateway in the VPC and waits until it
// is available. Without zones it runs in automatic mode: AWS gives it an
// address in every zone where the VPC has subnets. With zones ("a" or
// "us-east-1a") it runs in manual mode and serves only those, with one new
// Elastic IP each. It adds no route: see RouteToNAT.
func (v *VPC) RegionalNAT(zones ...string) *NAT {
	nat := &NAT{Regional: true}
	name := v.Name + "-nat-regional"
	v.s.do("create regional nat gateway in vpc "+v.CIDR, func(ctx context.Context) error {
		in := &ec2.CreateNatGatewayInput{
			AvailabilityMode:  ec2types.AvailabilityModeRegional,
			VpcId:             aws.String(v.ID),
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeNatgateway, name),
		}
		for _, zone := range zones {
			if len(zone) == 1 {
				zone = v.s.region + zone
			}
			eip, err := v.s.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{
				Domain:            ec2types.DomainTypeVpc,
				TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeElasticIp, name+"-"+zone),
			})
			if err != nil {
				return err
			}
			nat.Zones = append(nat.Zones, zone)
			nat.AllocationIDs = append(nat.AllocationIDs, aws.ToString(eip.AllocationId))
			in.AvailabilityZoneAddresses = append(in.AvailabilityZoneAddresses, ec2types.AvailabilityZoneAddress{
				AvailabilityZone: aws.String(zone), AllocationIds: []string{aws.ToString(eip.AllocationId)},
			})
		}
		out, err := v.s.ec2.CreateNatGateway(ctx, in)
		if err != nil {
			return err
		}
		nat.ID = aws.ToString(out.NatGateway.NatGatewayId)
		return ec2.NewNatGatewayAvailableWaiter(v.s.ec2).Wait(ctx,
			&ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat.ID}}, natWait)
	})
	return nat
}

// RouteToNAT adds 0.0.0.0/0 to nat in the route table of from. The NAT may
// sit in another AZ (a cross-AZ dependency vpcmedic warns about).
func (v *VPC) RouteToNAT(from *Subnet, nat *NAT) {
	v.s.do(fmt.Sprintf("route 0.0.0.0/0 of subnet %s to nat gateway %s", from.CIDR, nat.ID), func(ctx context.Context) error {
		return v.s.createRoute(ctx, from.RouteTableID, &ec2.CreateRouteInput{NatGatewayId: aws.String(nat.ID)})
	})
}

// NATPerAZ creates one NAT gateway in a public subnet of each AZ of private,
// and routes 0.0.0.0/0 of each private subnet to the NAT of its own AZ. The
// NATs come back in the order of private's AZs.
func (v *VPC) NATPerAZ(public, private Subnets) []*NAT {
	var nats []*NAT
	for _, az := range private.AZs() {
		pub := public.InAZ(az)
		if pub == nil {
			v.s.do("create nat gateway in "+az, func(context.Context) error {
				return errors.New("no public subnet in " + az)
			})
			return nats
		}
		nats = append(nats, v.NAT(pub))
	}
	for _, sub := range private {
		for _, nat := range nats {
			if nat.AZ == sub.AZ {
				v.RouteToNAT(sub, nat)
			}
		}
	}
	return nats
}

// DeleteNAT deletes a NAT gateway and waits until it is gone. Routes to it
// stay, as blackholes. The Elastic IPs the scenario gave it are released.
func (s *Scenario) DeleteNAT(nat *NAT) {
	s.do("delete nat gateway "+nat.ID, func(ctx context.Context) error {
		if _, err := s.ec2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(nat.ID)}); err != nil {
			return err
		}
		if err := ec2.NewNatGatewayDeletedWaiter(s.ec2).Wait(ctx,
			&ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat.ID}}, natWait); err != nil {
			return err
		}
		for _, id := range append([]string{nat.AllocationID}, nat.AllocationIDs...) {
			if id == "" {
				continue
			}
			if _, err := s.ec2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(id)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// NACL is a custom network ACL. AWS gives a new one only the final deny-all
// rules: add what it should allow.
type NACL struct {
	s  *Scenario
	ID string
}

// NACL creates a custom network ACL and moves subnets onto it.
func (v *VPC) NACL(name string, subnets ...*Subnet) *NACL {
	n := &NACL{s: v.s}
	v.s.do("create network acl "+name, func(ctx context.Context) error {
		out, err := v.s.ec2.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{
			VpcId:             aws.String(v.ID),
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeNetworkAcl, name),
		})
		if err != nil {
			return err
		}
		n.ID = aws.ToString(out.NetworkAcl.NetworkAclId)
		return nil
	})
	for _, sub := range subnets {
		v.s.do(fmt.Sprintf("associate subnet %s with network acl %s", sub.CIDR, name), func(ctx context.Context) error {
			return v.s.moveToNACL(ctx, sub.ID, n.ID)
		})
	}
	return n
}

// moveToNACL replaces the subnet's current network ACL association.
func (s *Scenario) moveToNACL(ctx context.Context, subnetID, naclID string) error {
	out, err := s.ec2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
		Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}},
	})
	if err != nil {
		return err
	}
	for _, acl := range out.NetworkAcls {
		for _, assoc := range acl.Associations {
			if aws.ToString(assoc.SubnetId) != subnetID {
				continue
			}
			_, err := s.ec2.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
				AssociationId: assoc.NetworkAclAssociationId,
				NetworkAclId:  aws.String(naclID),
			})
			return err
		}
	}
	return fmt.Errorf("no network acl association for %s", subnetID)
}

// Protocol numbers as network ACL entries spell them.
const (
	protoAll = "-1"
	protoTCP = "6"
)

// AllowIn allows inbound TCP from cidr on ports from..to.
func (n *NACL) AllowIn(number int32, cidr string, from, to int32) *NACL {
	return n.rule(number, false, true, protoTCP, cidr, from, to)
}

// DenyIn denies inbound TCP from cidr on ports from..to.
func (n *NACL) DenyIn(number int32, cidr string, from, to int32) *NACL {
	return n.rule(number, false, false, protoTCP, cidr, from, to)
}

// AllowOut allows outbound TCP to cidr on ports from..to.
func (n *NACL) AllowOut(number int32, cidr string, from, to int32) *NACL {
	return n.rule(number, true, true, protoTCP, cidr, from, to)
}

// DenyOut denies outbound TCP to cidr on ports from..to.
func (n *NACL) DenyOut(number int32, cidr string, from, to int32) *NACL {
	return n.rule(number, true, false, protoTCP, cidr, from, to)
}

// AllowAllIn allows all inbound traffic from cidr.
func (n *NACL) AllowAllIn(number int32, cidr string) *NACL {
	return n.rule(number, false, true, protoAll, cidr, 0, 0)
}

// AllowAllOut allows all outbound traffic to cidr.
func (n *NACL) AllowAllOut(number int32, cidr string) *NACL {
	return n.rule(number, true, true, protoAll, cidr, 0, 0)
}

// Rule adds any entry: protocol is a number ("6" TCP, "17" UDP, "-1" all,
// which ignores the ports), allow false denies, egress true is outbound.
func (n *NACL) Rule(number int32, egress, allow bool, protocol, cidr string, from, to int32) *NACL {
	return n.rule(number, egress, allow, protocol, cidr, from, to)
}

func (n *NACL) rule(number int32, egress, allow bool, protocol, cidr string, from, to int32) *NACL {
	action, direction := ec2types.RuleActionDeny, "inbound"
	if allow {
		action = ec2types.RuleActionAllow
	}
	if egress {
		direction = "outbound"
	}
	in := &ec2.CreateNetworkAclEntryInput{
		NetworkAclId: aws.String(n.ID),
		RuleNumber:   aws.Int32(number),
		Egress:       aws.Bool(egress),
		RuleAction:   action,
		Protocol:     aws.String(protocol),
		CidrBlock:    aws.String(cidr),
	}
	if protocol != protoAll {
		in.PortRange = &ec2types.PortRange{From: aws.Int32(from), To: aws.Int32(to)}
	}
	n.s.do(fmt.Sprintf("add %s network acl rule %d to %s", direction, number, n.ID), func(ctx context.Context) error {
		_, err := n.s.ec2.CreateNetworkAclEntry(ctx, in)
		return err
	})
	return n
}

// DHCPOptions creates a DHCP options set with custom DNS servers and
// associates it with the VPC, returning its ID. Custom DNS servers may not
// resolve the private names of interface endpoints.
func (v *VPC) DHCPOptions(dnsServers ...string) string {
	var id string
	v.s.do("create dhcp options for vpc "+v.CIDR, func(ctx context.Context) error {
		out, err := v.s.ec2.CreateDhcpOptions(ctx, &ec2.CreateDhcpOptionsInput{
			DhcpConfigurations: []ec2types.NewDhcpConfiguration{
				{Key: aws.String("domain-name-servers"), Values: dnsServers},
			},
		})
		if err != nil {
			return err
		}
		id = aws.ToString(out.DhcpOptions.DhcpOptionsId)
		// Tagged afterwards: moto ignores TagSpecifications on DHCP options.
		if _, err := v.s.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
			Resources: []string{id}, Tags: ec2Tags(v.s.tagsWith(v.Name + "-dhcp")),
		}); err != nil {
			return err
		}
		_, err = v.s.ec2.AssociateDhcpOptions(ctx, &ec2.AssociateDhcpOptionsInput{
			DhcpOptionsId: aws.String(id),
			VpcId:         aws.String(v.ID),
		})
		return err
	})
	return id
}
