// Package topology reads a VPC's networking from the EC2 API into a
// network.Snapshot. Every Describe is filtered by VPC and paginated, and the
// independent reads run concurrently, so one snapshot costs two dependent
// rounds of calls whatever the size of the VPC.
package topology

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// EC2 is the part of the EC2 API the reader calls.
type EC2 interface {
	ec2.DescribeVpcsAPIClient
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeNatGatewaysAPIClient
	ec2.DescribeInternetGatewaysAPIClient
	ec2.DescribeVpcEndpointsAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	ec2.DescribeNetworkAclsAPIClient
	ec2.DescribeDhcpOptionsAPIClient
	ec2.GetManagedPrefixListEntriesAPIClient
	DescribeVpcAttribute(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
}

// Reader reads snapshots.
type Reader struct {
	EC2 EC2
}

// ErrVPCNotFound is returned when the VPC does not exist (any more).
var ErrVPCNotFound = errors.New("vpc not found")

func vpcFilter(id string) []types.Filter {
	return []types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}}
}

// Read takes a snapshot of one VPC.
func (r *Reader) Read(ctx context.Context, vpcID string) (*network.Snapshot, error) {
	snap := &network.Snapshot{VPC: network.VPC{ID: vpcID}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(what string, read func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := read(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s of %s: %w", what, vpcID, err))
				mu.Unlock()
			}
		}()
	}
	// Each reader fills its own part of the snapshot, so no locking is
	// needed beyond the error list.
	run("describe vpc", func() error { return r.readVPC(ctx, &snap.VPC) })
	run("describe dns support", func() error {
		return r.readAttribute(ctx, vpcID, types.VpcAttributeNameEnableDnsSupport, &snap.VPC.DNSSupport)
	})
	run("describe dns hostnames", func() error {
		return r.readAttribute(ctx, vpcID, types.VpcAttributeNameEnableDnsHostnames, &snap.VPC.DNSHostnames)
	})
	run("describe subnets", func() (err error) { snap.Subnets, err = r.subnets(ctx, vpcFilter(vpcID)); return })
	run("describe route tables", func() (err error) { snap.RouteTables, err = r.routeTables(ctx, vpcID); return })
	run("describe nat gateways", func() (err error) { snap.NATGateways, err = r.natGateways(ctx, vpcID); return })
	run("describe internet gateways", func() (err error) { snap.InternetGateways, err = r.internetGateways(ctx, vpcID); return })
	run("describe vpc endpoints", func() (err error) { snap.Endpoints, err = r.endpoints(ctx, vpcID); return })
	run("describe security groups", func() (err error) {
		if snap.SecurityGroups, err = r.securityGroups(ctx, vpcID); err != nil {
			return err
		}
		snap.PrefixLists, err = r.prefixLists(ctx, snap.SecurityGroups)
		return err
	})
	run("describe network acls", func() (err error) { snap.NetworkACLs, err = r.networkACLs(ctx, vpcID); return })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	markDeadNATRoutes(snap)
	return snap, nil
}

// markDeadNATRoutes treats a route to a NAT gateway that is deleted, failed
// or gone as the blackhole it is: routes are not removed with their NAT,
// and EC2 may report them active for a while.
func markDeadNATRoutes(s *network.Snapshot) {
	state := map[string]string{}
	for _, n := range s.NATGateways {
		state[n.ID] = n.State
	}
	for i := range s.RouteTables {
		for j, r := range s.RouteTables[i].Routes {
			if r.TargetKind != network.TargetNATGateway {
				continue
			}
			switch state[r.TargetID] {
			case "", string(types.NatGatewayStateDeleting), string(types.NatGatewayStateDeleted), string(types.NatGatewayStateFailed):
				s.RouteTables[i].Routes[j].Active = false
			}
		}
	}
}

// readVPC reads the VPC and then its DHCP options (which only the VPC names).
func (r *Reader) readVPC(ctx context.Context, into *network.VPC) error {
	out, err := r.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: vpcFilter(into.ID)})
	if err != nil {
		return err
	}
	if len(out.Vpcs) == 0 {
		return fmt.Errorf("%w: %s", ErrVPCNotFound, into.ID)
	}
	v := out.Vpcs[0]
	into.Tags = tags(v.Tags)
	for _, assoc := range v.CidrBlockAssociationSet {
		if p, err := netip.ParsePrefix(aws.ToString(assoc.CidrBlock)); err == nil {
			into.CIDRs = append(into.CIDRs, p)
		}
	}
	if len(into.CIDRs) == 0 {
		if p, err := netip.ParsePrefix(aws.ToString(v.CidrBlock)); err == nil {
			into.CIDRs = append(into.CIDRs, p)
		}
	}
	dhcp := aws.ToString(v.DhcpOptionsId)
	if dhcp == "" || dhcp == "default" {
		into.DNSServers = []string{"AmazonProvidedDNS"}
		return nil
	}
	opts, err := r.EC2.DescribeDhcpOptions(ctx, &ec2.DescribeDhcpOptionsInput{DhcpOptionsIds: []string{dhcp}})
	if err != nil {
		return fmt.Errorf("dhcp options %s: %w", dhcp, err)
	}
	for _, o := range opts.DhcpOptions {
		for _, c := range o.DhcpConfigurations {
			if aws.ToString(c.Key) != "domain-name-servers" {
				continue
			}
			for _, v := range c.Values {
				into.DNSServers = append(into.DNSServers, aws.ToString(v.Value))
			}
		}
	}
	return nil
}

func (r *Reader) readAttribute(ctx context.Context, vpcID string, name types.VpcAttributeName, into *bool) error {
	out, err := r.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: name})
	if err != nil {
		return err
	}
	switch name {
	case types.VpcAttributeNameEnableDnsSupport:
		*into = out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value)
	case types.VpcAttributeNameEnableDnsHostnames:
		*into = out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value)
	}
	return nil
}

func (r *Reader) subnets(ctx context.Context, filters []types.Filter) ([]network.Subnet, error) {
	var out []network.Subnet
	p := ec2.NewDescribeSubnetsPaginator(r.EC2, &ec2.DescribeSubnetsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subnets {
			sn := network.Subnet{
				ID:               aws.ToString(s.SubnetId),
				AvailabilityZone: aws.ToString(s.AvailabilityZone),
				FreeIPs:          int(aws.ToInt32(s.AvailableIpAddressCount)),
				Tags:             tags(s.Tags),
			}
			sn.CIDR, _ = netip.ParsePrefix(aws.ToString(s.CidrBlock))
			for _, a := range s.Ipv6CidrBlockAssociationSet {
				if p, err := netip.ParsePrefix(aws.ToString(a.Ipv6CidrBlock)); err == nil {
					sn.IPv6CIDRs = append(sn.IPv6CIDRs, p)
				}
			}
			out = append(out, sn)
		}
	}
	return out, nil
}

func (r *Reader) routeTables(ctx context.Context, vpcID string) ([]network.RouteTable, error) {
	var out []network.RouteTable
	p := ec2.NewDescribeRouteTablesPaginator(r.EC2, &ec2.DescribeRouteTablesInput{Filters: vpcFilter(vpcID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.RouteTables {
			out = append(out, routeTable(t))
		}
	}
	return out, nil
}

func routeTable(t types.RouteTable) network.RouteTable {
	rt := network.RouteTable{ID: aws.ToString(t.RouteTableId)}
	for _, a := range t.Associations {
		if aws.ToBool(a.Main) {
			rt.Main = true
		}
		if id := aws.ToString(a.SubnetId); id != "" {
			rt.SubnetIDs = append(rt.SubnetIDs, id)
		}
	}
	for _, r := range t.Routes {
		route := network.Route{
			DestinationPrefixList: aws.ToString(r.DestinationPrefixListId),
			Active:                r.State != types.RouteStateBlackhole,
		}
		dest := aws.ToString(r.DestinationCidrBlock)
		if dest == "" {
			dest = aws.ToString(r.DestinationIpv6CidrBlock)
		}
		route.Destination, _ = netip.ParsePrefix(dest)
		route.TargetKind, route.TargetID = routeTarget(r)
		rt.Routes = append(rt.Routes, route)
	}
	return rt
}

func routeTarget(r types.Route) (kind, id string) {
	gw := aws.ToString(r.GatewayId)
	switch {
	case gw == "local":
		return network.TargetLocal, gw
	case len(gw) > 4 && gw[:4] == "igw-":
		return network.TargetInternetGateway, gw
	case len(gw) > 5 && gw[:5] == "vpce-":
		return network.TargetVPCEndpoint, gw
	case r.NatGatewayId != nil:
		return network.TargetNATGateway, aws.ToString(r.NatGatewayId)
	case r.EgressOnlyInternetGatewayId != nil:
		return network.TargetEgressOnlyIGW, aws.ToString(r.EgressOnlyInternetGatewayId)
	case r.TransitGatewayId != nil:
		return network.TargetTransitGateway, aws.ToString(r.TransitGatewayId)
	case r.VpcPeeringConnectionId != nil:
		return network.TargetPeering, aws.ToString(r.VpcPeeringConnectionId)
	case r.NetworkInterfaceId != nil:
		return network.TargetInterface, aws.ToString(r.NetworkInterfaceId)
	case gw != "":
		return network.TargetOther, gw
	}
	return network.TargetOther, ""
}

func (r *Reader) natGateways(ctx context.Context, vpcID string) ([]network.NATGateway, error) {
	var out []network.NATGateway
	p := ec2.NewDescribeNatGatewaysPaginator(r.EC2, &ec2.DescribeNatGatewaysInput{Filter: vpcFilter(vpcID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range page.NatGateways {
			conn := string(n.ConnectivityType)
			if conn == "" {
				conn = string(types.ConnectivityTypePublic)
			}
			out = append(out, network.NATGateway{
				ID:           aws.ToString(n.NatGatewayId),
				SubnetID:     aws.ToString(n.SubnetId),
				State:        string(n.State),
				Connectivity: conn,
			})
		}
	}
	return out, nil
}

func (r *Reader) internetGateways(ctx context.Context, vpcID string) ([]network.InternetGateway, error) {
	var out []network.InternetGateway
	filters := []types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{vpcID}}}
	p := ec2.NewDescribeInternetGatewaysPaginator(r.EC2, &ec2.DescribeInternetGatewaysInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.InternetGateways {
			igw := network.InternetGateway{ID: aws.ToString(g.InternetGatewayId)}
			for _, a := range g.Attachments {
				if aws.ToString(a.VpcId) == vpcID && (a.State == types.AttachmentStatusAttached || a.State == "available") {
					igw.Attached = true
				}
			}
			out = append(out, igw)
		}
	}
	return out, nil
}

func (r *Reader) endpoints(ctx context.Context, vpcID string) ([]network.Endpoint, error) {
	var out []network.Endpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(r.EC2, &ec2.DescribeVpcEndpointsInput{Filters: vpcFilter(vpcID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.VpcEndpoints {
			ep := network.Endpoint{
				ID:            aws.ToString(e.VpcEndpointId),
				ServiceName:   aws.ToString(e.ServiceName),
				Type:          string(e.VpcEndpointType),
				State:         string(e.State),
				SubnetIDs:     e.SubnetIds,
				RouteTableIDs: e.RouteTableIds,
				PrivateDNS:    aws.ToBool(e.PrivateDnsEnabled),
				Policy:        aws.ToString(e.PolicyDocument),
				Tags:          tags(e.Tags),
			}
			for _, g := range e.Groups {
				ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, aws.ToString(g.GroupId))
			}
			out = append(out, ep)
		}
	}
	return out, nil
}

func (r *Reader) securityGroups(ctx context.Context, vpcID string) ([]network.SecurityGroup, error) {
	var out []network.SecurityGroup
	p := ec2.NewDescribeSecurityGroupsPaginator(r.EC2, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter(vpcID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.SecurityGroups {
			out = append(out, network.SecurityGroup{
				ID:      aws.ToString(g.GroupId),
				Name:    aws.ToString(g.GroupName),
				Ingress: rules(g.IpPermissions),
				Egress:  rules(g.IpPermissionsEgress),
				Tags:    tags(g.Tags),
			})
		}
	}
	return out, nil
}

// prefixLists reads the entries of the prefix lists the groups' rules
// reference: one paginated call per distinct list, concurrently.
func (r *Reader) prefixLists(ctx context.Context, groups []network.SecurityGroup) (map[string][]netip.Prefix, error) {
	ids := map[string]bool{}
	for _, g := range groups {
		for _, rule := range slices.Concat(g.Ingress, g.Egress) {
			if rule.PrefixListID != "" {
				ids[rule.PrefixListID] = true
			}
		}
	}
	out := make(map[string][]netip.Prefix, len(ids))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cidrs []netip.Prefix
			p := ec2.NewGetManagedPrefixListEntriesPaginator(r.EC2, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("prefix list %s: %w", id, err))
					mu.Unlock()
					return
				}
				for _, e := range page.Entries {
					if c, err := netip.ParsePrefix(aws.ToString(e.Cidr)); err == nil {
						cidrs = append(cidrs, c)
					}
				}
			}
			mu.Lock()
			out[id] = cidrs
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// rules flattens EC2's permissions (one protocol and port range, many
// peers) into one rule per peer.
func rules(perms []types.IpPermission) []network.Rule {
	var out []network.Rule
	for _, p := range perms {
		base := network.Rule{Protocol: aws.ToString(p.IpProtocol), FromPort: -1, ToPort: -1}
		if p.FromPort != nil {
			base.FromPort = *p.FromPort
		}
		if p.ToPort != nil {
			base.ToPort = *p.ToPort
		}
		for _, r := range p.IpRanges {
			rule := base
			rule.CIDR, _ = netip.ParsePrefix(aws.ToString(r.CidrIp))
			out = append(out, rule)
		}
		for _, r := range p.Ipv6Ranges {
			rule := base
			rule.CIDR, _ = netip.ParsePrefix(aws.ToString(r.CidrIpv6))
			out = append(out, rule)
		}
		for _, g := range p.UserIdGroupPairs {
			rule := base
			rule.GroupID = aws.ToString(g.GroupId)
			out = append(out, rule)
		}
		for _, pl := range p.PrefixListIds {
			rule := base
			rule.PrefixListID = aws.ToString(pl.PrefixListId)
			out = append(out, rule)
		}
	}
	return out
}

func (r *Reader) networkACLs(ctx context.Context, vpcID string) ([]network.NetworkACL, error) {
	var out []network.NetworkACL
	p := ec2.NewDescribeNetworkAclsPaginator(r.EC2, &ec2.DescribeNetworkAclsInput{Filters: vpcFilter(vpcID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.NetworkAcls {
			acl := network.NetworkACL{ID: aws.ToString(a.NetworkAclId), Default: aws.ToBool(a.IsDefault)}
			for _, as := range a.Associations {
				acl.SubnetIDs = append(acl.SubnetIDs, aws.ToString(as.SubnetId))
			}
			for _, e := range a.Entries {
				entry := network.ACLEntry{
					RuleNumber: aws.ToInt32(e.RuleNumber),
					Egress:     aws.ToBool(e.Egress),
					Allow:      e.RuleAction == types.RuleActionAllow,
					Protocol:   aws.ToString(e.Protocol),
					FromPort:   0,
					ToPort:     65535,
				}
				cidr := aws.ToString(e.CidrBlock)
				if cidr == "" {
					cidr = aws.ToString(e.Ipv6CidrBlock)
				}
				entry.CIDR, _ = netip.ParsePrefix(cidr)
				if e.PortRange != nil {
					entry.FromPort, entry.ToPort = aws.ToInt32(e.PortRange.From), aws.ToInt32(e.PortRange.To)
				}
				acl.Entries = append(acl.Entries, entry)
			}
			out = append(out, acl)
		}
	}
	return out, nil
}

func tags(in []types.Tag) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for _, t := range in {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
