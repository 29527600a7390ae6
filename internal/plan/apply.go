package plan

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/endpointpolicy"
	"github.com/vpcmedic/vpcmedic/internal/network"
)

var defaultRoute = netip.MustParsePrefix("0.0.0.0/0")

// clone deep-copies the parts of a snapshot that changes touch.
func clone(s *network.Snapshot) *network.Snapshot {
	c := *s
	c.Endpoints = slices.Clone(s.Endpoints)
	c.NATGateways = slices.Clone(s.NATGateways)
	c.RouteTables = slices.Clone(s.RouteTables)
	for i := range c.RouteTables {
		c.RouteTables[i].Routes = slices.Clone(c.RouteTables[i].Routes)
	}
	c.SecurityGroups = slices.Clone(s.SecurityGroups)
	for i := range c.SecurityGroups {
		c.SecurityGroups[i].Ingress = slices.Clone(c.SecurityGroups[i].Ingress)
		c.SecurityGroups[i].Egress = slices.Clone(c.SecurityGroups[i].Egress)
	}
	for i := range c.Endpoints {
		c.Endpoints[i].SubnetIDs = slices.Clone(c.Endpoints[i].SubnetIDs)
	}
	return &c
}

// apply makes a change on the snapshot copy, so the next steps and the
// final verification see it.
func apply(s *network.Snapshot, c Change, region string) {
	switch c.Action {
	case EnableVPCAttribute:
		switch c.Attribute {
		case "enableDnsSupport":
			s.VPC.DNSSupport = true
		case "enableDnsHostnames":
			s.VPC.DNSHostnames = true
		}
	case CreateSecurityGroup:
		g := network.SecurityGroup{ID: c.GroupID, Name: EndpointGroupName, Tags: map[string]string{managedTag: "true"},
			Egress: []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: defaultRoute}}}
		for _, cidr := range c.CIDRs {
			if p, err := netip.ParsePrefix(cidr); err == nil {
				g.Ingress = append(g.Ingress, network.Rule{Protocol: "tcp", FromPort: int32(c.Port), ToPort: int32(c.Port), CIDR: p})
			}
		}
		s.SecurityGroups = append(s.SecurityGroups, g)
	case CreateInterfaceEndpoint:
		s.Endpoints = append(s.Endpoints, network.Endpoint{ID: c.EndpointID, ServiceName: c.ServiceName, Type: "Interface", State: "available",
			SubnetIDs: slices.Clone(c.SubnetIDs), SecurityGroupIDs: slices.Clone(c.GroupIDs), PrivateDNS: c.PrivateDNS, Policy: c.Policy})
	case CreateGatewayEndpoint:
		s.Endpoints = append(s.Endpoints, network.Endpoint{ID: c.EndpointID, ServiceName: c.ServiceName, Type: "Gateway", State: "available",
			RouteTableIDs: slices.Clone(c.RouteTableIDs)})
		for i, rt := range s.RouteTables {
			if slices.Contains(c.RouteTableIDs, rt.ID) {
				s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{DestinationPrefixList: "pl-" + c.EndpointID, TargetKind: network.TargetVPCEndpoint, TargetID: c.EndpointID, Active: true})
			}
		}
	case EnableEndpointDNS, AddEndpointSubnets:
		for i, e := range s.Endpoints {
			if e.ID == c.EndpointID {
				s.Endpoints[i].PrivateDNS = s.Endpoints[i].PrivateDNS || c.Action == EnableEndpointDNS
				s.Endpoints[i].SubnetIDs = append(s.Endpoints[i].SubnetIDs, c.SubnetIDs...)
			}
		}
	case AuthorizeIngress, AuthorizeEgress:
		for i, g := range s.SecurityGroups {
			if g.ID != c.GroupID {
				continue
			}
			r := network.Rule{Protocol: "tcp", FromPort: int32(c.Port), ToPort: int32(c.Port), GroupID: c.PeerGroupID}
			if c.Action == AuthorizeIngress {
				s.SecurityGroups[i].Ingress = append(s.SecurityGroups[i].Ingress, r)
			} else {
				s.SecurityGroups[i].Egress = append(s.SecurityGroups[i].Egress, r)
			}
		}
	case CreateNATGateway:
		// Public and available: the applier waits for it before routing
		// to it. Its Elastic IP (AllocateAddress) is not part of the model.
		s.NATGateways = append(s.NATGateways, network.NATGateway{ID: c.NATGatewayID, SubnetID: c.SubnetIDs[0], State: "available", Connectivity: "public"})
	case CreateRoute:
		for i, rt := range s.RouteTables {
			if slices.Contains(c.RouteTableIDs, rt.ID) {
				s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: defaultRoute, TargetKind: network.TargetNATGateway, TargetID: c.NATGatewayID, Active: true})
			}
		}
	}
}

// policyFor is the policy of an interface endpoint vpcmedic creates: every
// principal of the workload's account, and for STS and Lambda also Lambda's
// own service principal (DOMAIN §2: an on-demand Kafka mapping's pollers
// call them as lambda.amazonaws.com). It is never narrowed to one
// workload: vpcmedic sees only Lambda workloads, not the instances,
// containers or other functions that may use the service through the same
// private DNS name.
func policyFor(t *check.Target, service string) (string, error) {
	w := t.Workload
	account := accountOf(w.FunctionARN)
	if account == "" {
		account = accountOf(w.ExecutionRoleARN)
	}
	return endpointpolicy.AccountWide(account, endpointpolicy.LambdaAction(service))
}

// accountOf is the account field of an ARN.
func accountOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}
