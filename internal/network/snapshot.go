// Package network is the neutral model of a VPC's networking that the path
// logic and the checks work on. It imports no AWS SDK: adapters fill it.
package network

import "net/netip"

// Snapshot is what was read of one VPC at one moment.
type Snapshot struct {
	VPC              VPC
	Subnets          []Subnet
	RouteTables      []RouteTable
	NATGateways      []NATGateway
	InternetGateways []InternetGateway
	Endpoints        []Endpoint
	SecurityGroups   []SecurityGroup
	NetworkACLs      []NetworkACL
	// PrefixLists holds the CIDRs of the managed prefix lists that
	// security group rules and gateway endpoint routes reference, by prefix
	// list ID.
	PrefixLists map[string][]netip.Prefix
	// BlockPublicAccess is the account's VPC Block Public Access setting in
	// the Region, with the exclusions that apply to this VPC and its subnets.
	BlockPublicAccess BlockPublicAccess
}

// VPC Block Public Access modes (InternetGatewayBlockMode).
const (
	BPAOff                = "off"
	BPABlockBidirectional = "block-bidirectional"
	BPABlockIngress       = "block-ingress"
)

// VPC Block Public Access exclusion modes (InternetGatewayExclusionMode).
const (
	BPAAllowBidirectional = "allow-bidirectional"
	BPAAllowEgress        = "allow-egress"
)

// BlockPublicAccess is the account-level VPC Block Public Access option
// (DescribeVpcBlockPublicAccessOptions) and the exclusions of this VPC and
// its subnets (DescribeVpcBlockPublicAccessExclusions) that are in effect.
type BlockPublicAccess struct {
	// Read is false when the options could not be read or were not asked
	// for: nothing is then assumed about them.
	Read bool
	// Mode is off, block-bidirectional or block-ingress.
	Mode string
	// VPCExclusion is the exclusion mode of the VPC as a whole (empty when
	// none is in effect); SubnetExclusions the same per subnet ID.
	VPCExclusion     string
	SubnetExclusions map[string]string
	// ExclusionIDs name the exclusions for the evidence, by VPC or subnet ID.
	ExclusionIDs map[string]string
}

// EncryptionControl is the VPC's encryption control (Vpc.EncryptionControl).
type EncryptionControl struct {
	ID string
	// Mode is monitor or enforce; empty when the VPC has none.
	Mode  string
	State string
	// Exclusions holds the resource exclusions by kind (internet-gateway,
	// nat-gateway, egress-only-internet-gateway, lambda, ...) and their
	// state (enabled, enabling, disabled, ...).
	Exclusions map[string]string
}

// Encryption control exclusion kinds, as the API's ResourceExclusions names them.
const (
	ExclusionInternetGateway   = "internet-gateway"
	ExclusionNATGateway        = "nat-gateway"
	ExclusionEgressOnlyGateway = "egress-only-internet-gateway"
	ExclusionLambda            = "lambda"
)

// VPC holds the VPC-wide settings.
type VPC struct {
	ID           string
	CIDRs        []netip.Prefix
	DNSSupport   bool
	DNSHostnames bool
	// DNSServers are the DHCP options' domain name servers;
	// "AmazonProvidedDNS" is the default.
	DNSServers []string
	Tags       map[string]string
	// EncryptionControl is the VPC's encryption control, if any.
	EncryptionControl EncryptionControl
}

// Subnet is one subnet of the VPC.
type Subnet struct {
	ID               string
	AvailabilityZone string
	CIDR             netip.Prefix
	IPv6CIDRs        []netip.Prefix
	FreeIPs          int
	Tags             map[string]string
	// MapPublicIPOnLaunch is set when instances launched in the subnet
	// get a public IPv4 address by default.
	MapPublicIPOnLaunch bool
}

// RouteTable is a route table and the subnets explicitly associated with it.
type RouteTable struct {
	ID        string
	Main      bool
	SubnetIDs []string
	Routes    []Route
	Tags      map[string]string
}

// Route target kinds.
const (
	TargetLocal           = "local"
	TargetInternetGateway = "internet-gateway"
	TargetNATGateway      = "nat-gateway"
	TargetEgressOnlyIGW   = "egress-only-internet-gateway"
	TargetVPCEndpoint     = "vpc-endpoint"
	TargetTransitGateway  = "transit-gateway"
	TargetPeering         = "vpc-peering-connection"
	TargetInterface       = "network-interface"
	TargetOther           = "other"
)

// Route is one route of a table.
type Route struct {
	// Destination is the IPv4 or IPv6 CIDR; DestinationPrefixList is set
	// instead for prefix-list routes (gateway endpoints).
	Destination           netip.Prefix
	DestinationPrefixList string
	TargetKind            string
	TargetID              string
	// Active is false for a blackhole route (its target is gone).
	Active bool
}

// NAT gateway availability modes.
const (
	NATZonal    = "zonal"
	NATRegional = "regional"
)

// NATGateway is one NAT gateway of the VPC.
type NATGateway struct {
	ID string
	// SubnetID is the subnet of a zonal NAT gateway; a regional one has none.
	SubnetID string
	// State is pending, available, deleting, deleted or failed.
	State string
	// Connectivity is public or private.
	Connectivity string
	// AvailabilityMode is zonal (the default) or regional.
	AvailabilityMode string
	// AutoProvisionZones is enabled when AWS manages a regional NAT
	// gateway's zones, disabled when they are managed by hand.
	AutoProvisionZones string
	// Zones are the Availability Zones where a regional NAT gateway has an
	// address in use (its NatGatewayAddresses), in order.
	Zones []string
}

// Regional reports whether the NAT gateway is a regional (multi-zone) one.
func (n NATGateway) Regional() bool { return n.AvailabilityMode == NATRegional }

// InternetGateway is an internet gateway attached to the VPC.
type InternetGateway struct {
	ID       string
	Attached bool
}

// Endpoint is a VPC endpoint.
type Endpoint struct {
	ID          string
	ServiceName string
	// Type is Interface, Gateway or GatewayLoadBalancer.
	Type             string
	State            string
	SubnetIDs        []string
	SecurityGroupIDs []string
	RouteTableIDs    []string
	PrivateDNS       bool
	// PrivateDNSOnlyForInboundResolver is set on an interface endpoint
	// (S3) whose private DNS answers only queries from Route 53 Resolver
	// inbound endpoints: the VPC's own traffic keeps using the gateway
	// endpoint, so it does not shadow it.
	PrivateDNSOnlyForInboundResolver bool
	// Policy is the policy document; empty means the default full access.
	Policy string
	Tags   map[string]string
}

// SecurityGroup is a group and its rules.
type SecurityGroup struct {
	ID      string
	Name    string
	Ingress []Rule
	Egress  []Rule
	Tags    map[string]string
}

// Rule is one security group rule: one protocol, one port range, one peer.
type Rule struct {
	ID string
	// Protocol is tcp, udp, icmp, a protocol number, or -1 for all.
	Protocol string
	// FromPort and ToPort are -1 when the protocol has no ports.
	FromPort, ToPort int32
	CIDR             netip.Prefix
	GroupID          string
	PrefixListID     string
}

// NetworkACL is a network ACL and the subnets it applies to.
type NetworkACL struct {
	ID        string
	Default   bool
	SubnetIDs []string
	Entries   []ACLEntry
}

// ACLEntry is one numbered NACL rule.
type ACLEntry struct {
	RuleNumber int32
	Egress     bool
	// Allow is true for allow, false for deny.
	Allow    bool
	Protocol string
	CIDR     netip.Prefix
	// FromPort and ToPort are 0 and 65535 when the protocol has no range.
	FromPort, ToPort int32
}

// Subnet returns the subnet with the given ID.
func (s *Snapshot) Subnet(id string) (Subnet, bool) {
	for _, sn := range s.Subnets {
		if sn.ID == id {
			return sn, true
		}
	}
	return Subnet{}, false
}

// RouteTableOf returns the route table in effect for a subnet: its explicit
// association, else the VPC's main table.
func (s *Snapshot) RouteTableOf(subnetID string) (RouteTable, bool) {
	var main *RouteTable
	for i, rt := range s.RouteTables {
		for _, id := range rt.SubnetIDs {
			if id == subnetID {
				return rt, true
			}
		}
		if rt.Main {
			main = &s.RouteTables[i]
		}
	}
	if main == nil {
		return RouteTable{}, false
	}
	return *main, true
}

// AvailabilityZones lists the zones of the VPC's subnets in order of first
// appearance.
func (s *Snapshot) AvailabilityZones() []string {
	var out []string
	seen := map[string]bool{}
	for _, sn := range s.Subnets {
		if !seen[sn.AvailabilityZone] {
			seen[sn.AvailabilityZone] = true
			out = append(out, sn.AvailabilityZone)
		}
	}
	return out
}

// SecurityGroup returns the group with the given ID.
func (s *Snapshot) SecurityGroup(id string) (SecurityGroup, bool) {
	for _, g := range s.SecurityGroups {
		if g.ID == id {
			return g, true
		}
	}
	return SecurityGroup{}, false
}

// NetworkACLOf returns the network ACL that applies to a subnet: its
// association, else the VPC's default ACL.
func (s *Snapshot) NetworkACLOf(subnetID string) (NetworkACL, bool) {
	var def *NetworkACL
	for i, acl := range s.NetworkACLs {
		for _, id := range acl.SubnetIDs {
			if id == subnetID {
				return acl, true
			}
		}
		if acl.Default {
			def = &s.NetworkACLs[i]
		}
	}
	if def == nil {
		return NetworkACL{}, false
	}
	return *def, true
}
