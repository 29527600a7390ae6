// Package topology reads a VPC's networking from the EC2 API into a
// network.Snapshot. Every Describe is filtered by VPC and paginated, and the
// independent reads run concurrently, so one snapshot costs two dependent
// rounds of calls whatever the size of the VPC.
package topology

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
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
	DescribeVpcBlockPublicAccessOptions(context.Context, *ec2.DescribeVpcBlockPublicAccessOptionsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcBlockPublicAccessOptionsOutput, error)
	DescribeVpcBlockPublicAccessExclusions(context.Context, *ec2.DescribeVpcBlockPublicAccessExclusionsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcBlockPublicAccessExclusionsOutput, error)
}

// Reader reads snapshots.
type Reader struct {
	EC2 EC2
}

// ErrVPCNotFound is returned when the VPC does not exist (any more).
var ErrVPCNotFound = errors.New("vpc not found")

// maxFilterValues is how many values EC2 takes in one filter.
const maxFilterValues = 200

// attributeReads bounds the concurrent DescribeVpcAttribute calls, the
// only read that EC2 does not batch across VPCs.
const attributeReads = 8

// Read takes a snapshot of one VPC.
func (r *Reader) Read(ctx context.Context, vpcID string) (*network.Snapshot, error) {
	snaps, err := r.ReadAll(ctx, []string{vpcID})
	if err != nil {
		return nil, err
	}
	return snaps[vpcID], nil
}

// ReadAll takes snapshots of several VPCs at once: one paginated Describe
// per resource type for all of them (filtered by VPC, 200 IDs a call), run
// concurrently, so the number of calls grows with result pages, not with
// the number of VPCs. The DNS attributes are the exception: EC2 answers
// them one VPC and one attribute at a time. VPC Block Public Access is an
// account setting: it is read once, whatever the number of VPCs.
func (r *Reader) ReadAll(ctx context.Context, vpcIDs []string) (map[string]*network.Snapshot, error) {
	vpcIDs = slices.Compact(slices.Sorted(slices.Values(vpcIDs)))
	snaps := make(map[string]*network.Snapshot, len(vpcIDs))
	for _, id := range vpcIDs {
		snaps[id] = &network.Snapshot{VPC: network.VPC{ID: id}}
	}
	if len(vpcIDs) == 0 {
		return snaps, nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards snaps' slices and errs
		errs []error
	)
	run := func(what string, read func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := read(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s of %s: %w", what, strings.Join(vpcIDs, ", "), err))
				mu.Unlock()
			}
		}()
	}
	// add files a resource under its VPC; resources of other VPCs (a
	// peer's group in a reference, say) are ignored.
	add := func(vpcID string, put func(*network.Snapshot)) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := snaps[vpcID]; ok {
			put(s)
		}
	}
	run("describe vpcs", func() error { return r.readVPCs(ctx, vpcIDs, snaps, &mu) })
	var bpa accountBPA
	run("describe vpc block public access", func() error { return r.readBlockPublicAccess(ctx, &bpa) })
	run("describe dns attributes", func() error { return r.readAttributes(ctx, vpcIDs, snaps) })
	for chunk := range slices.Chunk(vpcIDs, maxFilterValues) {
		byVPC := []types.Filter{{Name: aws.String("vpc-id"), Values: chunk}}
		run("describe subnets", func() error {
			return r.subnets(ctx, byVPC, func(vpc string, sn network.Subnet) {
				add(vpc, func(s *network.Snapshot) { s.Subnets = append(s.Subnets, sn) })
			})
		})
		run("describe route tables", func() error {
			return r.routeTables(ctx, byVPC, func(vpc string, rt network.RouteTable) {
				add(vpc, func(s *network.Snapshot) { s.RouteTables = append(s.RouteTables, rt) })
			})
		})
		run("describe nat gateways", func() error {
			return r.natGateways(ctx, byVPC, func(vpc string, n network.NATGateway) {
				add(vpc, func(s *network.Snapshot) { s.NATGateways = append(s.NATGateways, n) })
			})
		})
		run("describe internet gateways", func() error {
			attached := []types.Filter{{Name: aws.String("attachment.vpc-id"), Values: chunk}}
			return r.internetGateways(ctx, attached, func(vpc string, g network.InternetGateway) {
				add(vpc, func(s *network.Snapshot) { s.InternetGateways = append(s.InternetGateways, g) })
			})
		})
		run("describe vpc endpoints", func() error {
			return r.endpoints(ctx, byVPC, func(vpc string, e network.Endpoint) {
				add(vpc, func(s *network.Snapshot) { s.Endpoints = append(s.Endpoints, e) })
			})
		})
		run("describe security groups", func() error {
			return r.securityGroups(ctx, byVPC, func(vpc string, g network.SecurityGroup) {
				add(vpc, func(s *network.Snapshot) { s.SecurityGroups = append(s.SecurityGroups, g) })
			})
		})
		run("describe network acls", func() error {
			return r.networkACLs(ctx, byVPC, func(vpc string, a network.NetworkACL) {
				add(vpc, func(s *network.Snapshot) { s.NetworkACLs = append(s.NetworkACLs, a) })
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The prefix lists the groups and the gateway endpoint routes
	// reference: one more round, for all VPCs.
	lists, err := r.prefixLists(ctx, referencedPrefixLists(snaps))
	if err != nil {
		return nil, fmt.Errorf("read prefix lists: %w", err)
	}
	for _, s := range snaps {
		s.PrefixLists = lists
		markDeadNATRoutes(s)
	}
	bpa.apply(snaps)
	return snaps, nil
}

// readVPCs reads the VPCs and then their DHCP options (which only the VPCs
// name), one call each for all of them.
func (r *Reader) readVPCs(ctx context.Context, vpcIDs []string, snaps map[string]*network.Snapshot, mu *sync.Mutex) error {
	dhcpOf := map[string][]string{} // DHCP options ID -> VPCs
	found := map[string]bool{}
	for chunk := range slices.Chunk(vpcIDs, maxFilterValues) {
		p := ec2.NewDescribeVpcsPaginator(r.EC2, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: chunk}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, v := range page.Vpcs {
				id := aws.ToString(v.VpcId)
				s, ok := snaps[id]
				if !ok {
					continue
				}
				found[id] = true
				mu.Lock()
				s.VPC.Tags = tags(v.Tags)
				s.VPC.EncryptionControl = encryptionControl(v.EncryptionControl)
				for _, assoc := range v.CidrBlockAssociationSet {
					if c, err := netip.ParsePrefix(aws.ToString(assoc.CidrBlock)); err == nil {
						s.VPC.CIDRs = append(s.VPC.CIDRs, c)
					}
				}
				if len(s.VPC.CIDRs) == 0 {
					if c, err := netip.ParsePrefix(aws.ToString(v.CidrBlock)); err == nil {
						s.VPC.CIDRs = append(s.VPC.CIDRs, c)
					}
				}
				dhcp := aws.ToString(v.DhcpOptionsId)
				if dhcp == "" || dhcp == "default" {
					s.VPC.DNSServers = []string{"AmazonProvidedDNS"}
				} else {
					dhcpOf[dhcp] = append(dhcpOf[dhcp], id)
				}
				mu.Unlock()
			}
		}
	}
	for _, id := range vpcIDs {
		if !found[id] {
			return fmt.Errorf("%w: %s", ErrVPCNotFound, id)
		}
	}
	if len(dhcpOf) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(dhcpOf))
	p := ec2.NewDescribeDhcpOptionsPaginator(r.EC2, &ec2.DescribeDhcpOptionsInput{DhcpOptionsIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("dhcp options %s: %w", strings.Join(ids, ", "), err)
		}
		for _, o := range page.DhcpOptions {
			var servers []string
			for _, c := range o.DhcpConfigurations {
				if aws.ToString(c.Key) != "domain-name-servers" {
					continue
				}
				for _, v := range c.Values {
					servers = append(servers, aws.ToString(v.Value))
				}
			}
			mu.Lock()
			for _, vpc := range dhcpOf[aws.ToString(o.DhcpOptionsId)] {
				snaps[vpc].VPC.DNSServers = servers
			}
			mu.Unlock()
		}
	}
	return nil
}

// readAttributes reads the two DNS attributes of every VPC, a few VPCs at
// a time. Each goroutine writes only its own VPC's fields.
func (r *Reader) readAttributes(ctx context.Context, vpcIDs []string, snaps map[string]*network.Snapshot) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	slots := make(chan struct{}, attributeReads)
	for _, id := range vpcIDs {
		s := snaps[id]
		for _, attr := range []struct {
			name types.VpcAttributeName
			into *bool
		}{{types.VpcAttributeNameEnableDnsSupport, &s.VPC.DNSSupport}, {types.VpcAttributeNameEnableDnsHostnames, &s.VPC.DNSHostnames}} {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer func() { <-slots; wg.Done() }()
				if err := r.readAttribute(ctx, id, attr.name, attr.into); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s of %s: %w", attr.name, id, err))
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	return errors.Join(errs...)
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

func (r *Reader) subnets(ctx context.Context, filters []types.Filter, add func(vpc string, sn network.Subnet)) error {
	p := ec2.NewDescribeSubnetsPaginator(r.EC2, &ec2.DescribeSubnetsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, s := range page.Subnets {
			sn := network.Subnet{
				ID:               aws.ToString(s.SubnetId),
				AvailabilityZone: aws.ToString(s.AvailabilityZone),
				FreeIPs:          int(aws.ToInt32(s.AvailableIpAddressCount)),
				Tags:             tags(s.Tags),

				MapPublicIPOnLaunch: aws.ToBool(s.MapPublicIpOnLaunch),
			}
			sn.CIDR, _ = netip.ParsePrefix(aws.ToString(s.CidrBlock))
			for _, a := range s.Ipv6CidrBlockAssociationSet {
				if p, err := netip.ParsePrefix(aws.ToString(a.Ipv6CidrBlock)); err == nil {
					sn.IPv6CIDRs = append(sn.IPv6CIDRs, p)
				}
			}
			add(aws.ToString(s.VpcId), sn)
		}
	}
	return nil
}

func (r *Reader) routeTables(ctx context.Context, filters []types.Filter, add func(vpc string, rt network.RouteTable)) error {
	p := ec2.NewDescribeRouteTablesPaginator(r.EC2, &ec2.DescribeRouteTablesInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, t := range page.RouteTables {
			add(aws.ToString(t.VpcId), routeTable(t))
		}
	}
	return nil
}

func routeTable(t types.RouteTable) network.RouteTable {
	rt := network.RouteTable{ID: aws.ToString(t.RouteTableId), Tags: tags(t.Tags)}
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

func (r *Reader) natGateways(ctx context.Context, filters []types.Filter, add func(vpc string, n network.NATGateway)) error {
	p := ec2.NewDescribeNatGatewaysPaginator(r.EC2, &ec2.DescribeNatGatewaysInput{Filter: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, n := range page.NatGateways {
			conn := string(n.ConnectivityType)
			if conn == "" {
				conn = string(types.ConnectivityTypePublic)
			}
			add(aws.ToString(n.VpcId), natGateway(n, conn))
		}
	}
	return nil
}

func natGateway(n types.NatGateway, connectivity string) network.NATGateway {
	nat := network.NATGateway{
		ID:                 aws.ToString(n.NatGatewayId),
		SubnetID:           aws.ToString(n.SubnetId),
		State:              string(n.State),
		Connectivity:       connectivity,
		AvailabilityMode:   string(n.AvailabilityMode),
		AutoProvisionZones: string(n.AutoProvisionZones),
	}
	if nat.AvailabilityMode == "" {
		nat.AvailabilityMode = network.NATZonal
	}
	if nat.Regional() {
		nat.SubnetID = ""
		nat.Zones = zonesInUse(n.NatGatewayAddresses)
	}
	return nat
}

// zonesInUse lists the zones where an address of a regional NAT gateway
// carries traffic, in order. Only "succeeded" counts: "assigning" and
// "associating" addresses do not serve their zone yet, "unassigning" and
// "disassociating" ones are being withdrawn from it (the zone is being
// retracted), and "failed" ones never will. Counting a zone that is about to
// lose its address would hide the outage that follows.
func zonesInUse(addresses []types.NatGatewayAddress) []string {
	var zones []string
	for _, a := range addresses {
		zone := aws.ToString(a.AvailabilityZone)
		if a.Status == types.NatGatewayAddressStatusSucceeded && zone != "" && !slices.Contains(zones, zone) {
			zones = append(zones, zone)
		}
	}
	return zones
}

func (r *Reader) internetGateways(ctx context.Context, filters []types.Filter, add func(vpc string, g network.InternetGateway)) error {
	p := ec2.NewDescribeInternetGatewaysPaginator(r.EC2, &ec2.DescribeInternetGatewaysInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range page.InternetGateways {
			for _, a := range g.Attachments {
				attached := a.State == types.AttachmentStatusAttached || a.State == "available"
				add(aws.ToString(a.VpcId), network.InternetGateway{ID: aws.ToString(g.InternetGatewayId), Attached: attached})
			}
		}
	}
	return nil
}

func (r *Reader) endpoints(ctx context.Context, filters []types.Filter, add func(vpc string, e network.Endpoint)) error {
	p := ec2.NewDescribeVpcEndpointsPaginator(r.EC2, &ec2.DescribeVpcEndpointsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
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
			if e.DnsOptions != nil {
				ep.PrivateDNSOnlyForInboundResolver = aws.ToBool(e.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint)
			}
			for _, g := range e.Groups {
				ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, aws.ToString(g.GroupId))
			}
			add(aws.ToString(e.VpcId), ep)
		}
	}
	return nil
}

func (r *Reader) securityGroups(ctx context.Context, filters []types.Filter, add func(vpc string, g network.SecurityGroup)) error {
	p := ec2.NewDescribeSecurityGroupsPaginator(r.EC2, &ec2.DescribeSecurityGroupsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range page.SecurityGroups {
			add(aws.ToString(g.VpcId), network.SecurityGroup{
				ID:      aws.ToString(g.GroupId),
				Name:    aws.ToString(g.GroupName),
				Ingress: rules(g.IpPermissions),
				Egress:  rules(g.IpPermissionsEgress),
				Tags:    tags(g.Tags),
			})
		}
	}
	return nil
}

// referencedPrefixLists returns the prefix lists that security group rules
// and gateway endpoint routes name, in every snapshot.
func referencedPrefixLists(snaps map[string]*network.Snapshot) map[string]bool {
	ids := map[string]bool{}
	for _, s := range snaps {
		for _, g := range s.SecurityGroups {
			for _, rule := range slices.Concat(g.Ingress, g.Egress) {
				if rule.PrefixListID != "" {
					ids[rule.PrefixListID] = true
				}
			}
		}
		for _, rt := range s.RouteTables {
			for _, route := range rt.Routes {
				if route.TargetKind == network.TargetVPCEndpoint && route.DestinationPrefixList != "" {
					ids[route.DestinationPrefixList] = true
				}
			}
		}
	}
	return ids
}

// prefixLists reads the entries of the given prefix lists: one paginated
// call per list, concurrently.
func (r *Reader) prefixLists(ctx context.Context, ids map[string]bool) (map[string][]netip.Prefix, error) {
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

func (r *Reader) networkACLs(ctx context.Context, filters []types.Filter, add func(vpc string, a network.NetworkACL)) error {
	p := ec2.NewDescribeNetworkAclsPaginator(r.EC2, &ec2.DescribeNetworkAclsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
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
			add(aws.ToString(a.VpcId), acl)
		}
	}
	return nil
}

// encryptionControl maps Vpc.EncryptionControl; a VPC without one has the
// zero value.
func encryptionControl(c *types.VpcEncryptionControl) network.EncryptionControl {
	if c == nil {
		return network.EncryptionControl{}
	}
	out := network.EncryptionControl{ID: aws.ToString(c.VpcEncryptionControlId), Mode: string(c.Mode), State: string(c.State)}
	if ex := c.ResourceExclusions; ex != nil {
		for kind, e := range map[string]*types.VpcEncryptionControlExclusion{
			network.ExclusionInternetGateway:   ex.InternetGateway,
			network.ExclusionEgressOnlyGateway: ex.EgressOnlyInternetGateway,
			network.ExclusionNATGateway:        ex.NatGateway,
			network.ExclusionLambda:            ex.Lambda,
			"virtual-private-gateway":          ex.VirtualPrivateGateway,
			"vpc-peering":                      ex.VpcPeering,
			"vpc-lattice":                      ex.VpcLattice,
			"elastic-file-system":              ex.ElasticFileSystem,
		} {
			if e == nil {
				continue
			}
			if out.Exclusions == nil {
				out.Exclusions = map[string]string{}
			}
			out.Exclusions[kind] = string(e.State)
		}
	}
	return out
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
