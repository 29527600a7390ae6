package check

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// withThirdZone adds the private subnet priv-c (us-east-1c) with its own
// route table rtb-c, and makes it a subnet of the workload.
func withThirdZone(s *network.Snapshot) *network.Snapshot {
	s.Subnets = append(s.Subnets, network.Subnet{ID: "priv-c", AvailabilityZone: "us-east-1c", CIDR: prefix("10.0.12.0/24"), FreeIPs: 250})
	s.RouteTables = append(s.RouteTables, network.RouteTable{ID: "rtb-c", SubnetIDs: []string{"priv-c"}, Routes: []network.Route{
		{Destination: prefix("10.0.0.0/16"), TargetKind: network.TargetLocal, TargetID: "local", Active: true}}})
	return s
}

func threeZoneESM() *workload.Workload {
	w := onDemandESM()
	w.Network.SubnetIDs = []string{"priv-a", "priv-b", "priv-c"}
	return w
}

// withRegionalNAT adds the regional NAT gateway nat-r with addresses in
// zones and routes every private subnet's default route to it.
func withRegionalNAT(s *network.Snapshot, autoProvision string, zones ...string) *network.Snapshot {
	s.NATGateways = append(s.NATGateways, network.NATGateway{ID: "nat-r", State: "available", Connectivity: "public",
		AvailabilityMode: network.NATRegional, AutoProvisionZones: autoProvision, Zones: zones})
	for i, rt := range s.RouteTables {
		if rt.ID == "rtb-a" || rt.ID == "rtb-b" || rt.ID == "rtb-c" {
			s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetNATGateway, TargetID: "nat-r", Active: true})
		}
	}
	return s
}

func TestRegionalNATGateway(t *testing.T) {
	t.Run("manual mode with addresses in two of three zones", func(t *testing.T) {
		tgt := target(threeZoneESM(), withRegionalNAT(withThirdZone(baseVPC()), "disabled", "us-east-1a", "us-east-1b"))
		f := oneCheck(t, servicePath, tgt, 4,
			"in us-east-1c (subnet priv-c) cannot reach lambda",
			"in us-east-1c (subnet priv-c) cannot reach sts")
		for _, x := range f {
			if x.AZ != "us-east-1c" || x.Severity != report.SeverityError || x.Unverified ||
				!strings.Contains(x.Message, "regional NAT gateway nat-r has no address in us-east-1c") ||
				!strings.Contains(x.Message, "--availability-zone us-east-1c") {
				t.Errorf("finding %+v, want an error naming the zone and the missing address", x)
			}
		}
		// Serving its own zones is no cross-zone dependency.
		oneCheck(t, crossZone, tgt, 4)
	})
	t.Run("automatic mode: works everywhere, warns where it has no address yet", func(t *testing.T) {
		tgt := target(threeZoneESM(), withRegionalNAT(withThirdZone(baseVPC()), "enabled", "us-east-1a", "us-east-1b"))
		oneCheck(t, servicePath, tgt, 6)
		f := oneCheck(t, crossZone, tgt, 4,
			"in us-east-1c (subnet priv-c) reaches lambda, but: regional NAT gateway nat-r has no address in us-east-1c yet",
			"in us-east-1c (subnet priv-c) reaches sts, but")
		if f[0].AZ != "us-east-1c" || f[0].Severity != report.SeverityWarning {
			t.Errorf("finding %+v, want a warning in us-east-1c", f[0])
		}
	})
	t.Run("no internet gateway attached", func(t *testing.T) {
		s := withRegionalNAT(withThirdZone(baseVPC()), "enabled", "us-east-1a", "us-east-1b", "us-east-1c")
		s.InternetGateways = nil
		oneCheck(t, servicePath, target(threeZoneESM(), s), 0,
			"no internet gateway attached", "", "", "", "", "")
	})
}

// hardenedPrivateACL is the common hardened ACL of the private subnets:
// everything out, but in only the replies from the VPC. It drops every
// reply from the internet, which the NAT gateway does not rewrite.
func hardenedPrivateACL() network.NetworkACL {
	return network.NetworkACL{ID: "acl-private", SubnetIDs: []string{"priv-a", "priv-b"}, Entries: []network.ACLEntry{
		{RuleNumber: 100, Egress: true, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), ToPort: 65535},
		{RuleNumber: 100, Allow: true, Protocol: "6", CIDR: prefix("10.0.0.0/16"), FromPort: 1024, ToPort: 65535},
		{RuleNumber: 32767, Egress: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), ToPort: 65535},
		{RuleNumber: 32767, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), ToPort: 65535},
	}}
}

func TestNATPathACLsJudgeTheInternetHost(t *testing.T) {
	s := withNATs(baseVPC(), false)
	s.NetworkACLs = append(s.NetworkACLs, hardenedPrivateACL())
	f := oneCheck(t, servicePath, target(onDemandESM(), s), 0,
		"in us-east-1a (subnet priv-a) cannot reach lambda", "in us-east-1a (subnet priv-a) cannot reach sts",
		"in us-east-1b (subnet priv-b) cannot reach lambda", "in us-east-1b (subnet priv-b) cannot reach sts")
	for _, x := range f {
		nat := map[string]string{"us-east-1a": "nat-a", "us-east-1b": "nat-b"}[x.AZ]
		if !strings.Contains(x.Message, "network ACLs block TCP 443 to NAT gateway "+nat) ||
			!strings.Contains(x.Message, "network ACL acl-private of priv-") ||
			!strings.Contains(x.Message, "denies inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0) (rule *)") {
			t.Errorf("finding %q does not name the ACL, the replies and the internet", x.Message)
		}
		if !slices.Contains(x.Resources, "acl-private inbound rule *") {
			t.Errorf("resources %q do not name the ACL's rule", x.Resources)
		}
	}
}

func TestGatewayEndpointMeetsTheACL(t *testing.T) {
	// A function in intra subnets (terraform-aws-modules): a dedicated ACL
	// for VPC traffic only, and an S3 gateway endpoint on both tables.
	snapshot := func(withCIDRs bool) *network.Snapshot {
		s := withFunctionGroups(baseVPC())
		s.NetworkACLs = append(s.NetworkACLs, network.NetworkACL{ID: "acl-intra", SubnetIDs: []string{"priv-a", "priv-b"}, Entries: []network.ACLEntry{
			{RuleNumber: 100, Egress: true, Allow: true, Protocol: "-1", CIDR: prefix("10.0.0.0/16"), ToPort: 65535},
			{RuleNumber: 100, Allow: true, Protocol: "-1", CIDR: prefix("10.0.0.0/16"), ToPort: 65535},
			{RuleNumber: 32767, Egress: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), ToPort: 65535},
			{RuleNumber: 32767, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), ToPort: 65535},
		}})
		s.Endpoints = append(s.Endpoints, network.Endpoint{ID: "vpce-s3", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available", RouteTableIDs: []string{"rtb-a", "rtb-b"}})
		for i := range s.RouteTables[2:] {
			s.RouteTables[2+i].Routes = append(s.RouteTables[2+i].Routes, network.Route{DestinationPrefixList: "pl-63a5400a", TargetKind: network.TargetVPCEndpoint, TargetID: "vpce-s3", Active: true})
		}
		if withCIDRs {
			s.PrefixLists = map[string][]netip.Prefix{"pl-63a5400a": {prefix("16.182.0.0/16"), prefix("52.216.0.0/15")}}
		}
		return s
	}
	t.Run("the ACL lacks the S3 prefix list's CIDRs", func(t *testing.T) {
		f := oneCheck(t, servicePath, functionTarget(vpcFunction("priv-a", "priv-b"), snapshot(true), "s3"), 0,
			"in us-east-1a (subnet priv-a) cannot reach s3, needed because policy app allows s3:*: network ACLs block TCP 443 to the s3 gateway endpoint vpce-s3 (prefix list pl-63a5400a): network ACL acl-intra of priv-a denies outbound TCP 443 to 16.182.0.0/16 outside the VPC (rule *)",
			"in us-east-1b (subnet priv-b) cannot reach s3")
		if f[0].Severity != report.SeverityError || f[0].Unverified || !slices.Contains(f[0].Resources, "acl-intra inbound rule *") || !slices.Contains(f[0].Resources, "pl-63a5400a") {
			t.Errorf("finding %+v, want an error naming the ACL rule and the prefix list", f[0])
		}
	})
	t.Run("the prefix list's CIDRs were not read", func(t *testing.T) {
		f := oneCheck(t, servicePath, functionTarget(vpcFunction("priv-a"), snapshot(false), "s3"), 0,
			"the CIDRs of prefix list pl-63a5400a are not in the snapshot")
		if !f[0].Unverified {
			t.Errorf("finding %+v, want unverified", f[0])
		}
	})
}

func TestBlockPublicAccess(t *testing.T) {
	bidirectional := network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional}
	tests := []struct {
		name       string
		snapshot   func() *network.Snapshot
		bpa        network.BlockPublicAccess
		wantPassed int
		want       []string
		unverified bool
	}{
		{name: "bidirectional, nothing excluded: the NAT-only mapping is cut off",
			snapshot: func() *network.Snapshot { return withNATs(baseVPC(), false) }, bpa: bidirectional,
			want: []string{
				"VPC Block Public Access is block-bidirectional and pub-a (NAT gateway nat-a's subnet) is not excluded: NAT gateway nat-a cannot reach the internet",
				"NAT gateway nat-a cannot reach the internet",
				"pub-b (NAT gateway nat-b's subnet) is not excluded", "nat-b cannot reach the internet"}},
		{name: "bidirectional, the NAT gateways' subnets excluded",
			snapshot: func() *network.Snapshot { return withNATs(baseVPC(), false) },
			bpa: network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional,
				SubnetExclusions: map[string]string{"pub-a": network.BPAAllowEgress, "pub-b": network.BPAAllowBidirectional},
				ExclusionIDs:     map[string]string{"pub-a": "vpcbpa-exclude-1", "pub-b": "vpcbpa-exclude-2"}},
			wantPassed: 4},
		{name: "block-ingress lets NAT traffic out",
			snapshot: func() *network.Snapshot { return withNATs(baseVPC(), false) },
			bpa:      network.BlockPublicAccess{Read: true, Mode: network.BPABlockIngress}, wantPassed: 4},
		{name: "endpoints need no internet",
			snapshot: func() *network.Snapshot { return withEndpoints(baseVPC(), "lambda", "sts") }, bpa: bidirectional, wantPassed: 4},
		{name: "regional NAT gateway without a VPC exclusion: undecided",
			snapshot: func() *network.Snapshot { return withRegionalNAT(baseVPC(), "enabled", "us-east-1a", "us-east-1b") },
			bpa:      bidirectional, unverified: true,
			want: []string{"regional NAT gateway nat-r has no subnet to exclude", "the EC2 documentation does not say", "VPC vpc-1 is not excluded", "nat-r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.snapshot()
			s.BlockPublicAccess = tt.bpa
			f := oneCheck(t, servicePath, target(onDemandESM(), s), tt.wantPassed, tt.want...)
			for _, x := range f {
				if x.Unverified != tt.unverified {
					t.Errorf("finding %q unverified=%v, want %v", x.Message, x.Unverified, tt.unverified)
				}
			}
		})
	}
}

func TestInboundResolverOnlyS3EndpointLeavesTheGatewayEndpoint(t *testing.T) {
	s := withFunctionGroups(baseVPC())
	s.Endpoints = append(s.Endpoints,
		network.Endpoint{ID: "vpce-s3gw", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available", RouteTableIDs: []string{"rtb-a"}},
		// Its group admits nothing: were it used, s3 would be broken.
		network.Endpoint{ID: "vpce-s3if", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Interface", State: "available",
			SubnetIDs: []string{"priv-a"}, SecurityGroupIDs: []string{"sg-db"}, PrivateDNS: true, PrivateDNSOnlyForInboundResolver: true})
	s.RouteTables[2].Routes = append(s.RouteTables[2].Routes, network.Route{DestinationPrefixList: "pl-63a5400a", TargetKind: network.TargetVPCEndpoint, TargetID: "vpce-s3gw", Active: true})
	s.PrefixLists = map[string][]netip.Prefix{"pl-63a5400a": {prefix("52.216.0.0/15")}}
	tgt := functionTarget(vpcFunction("priv-a"), s, "s3")
	oneCheck(t, servicePath, tgt, 1)
	p := tgt.ServicePath("priv-a", "s3")
	if p.Via != reach.ViaGatewayEndpoint || !slices.ContainsFunc(p.Evidence, func(e string) bool {
		return strings.Contains(e, "vpce-s3if answers only queries from Route 53 Resolver inbound endpoints")
	}) {
		t.Errorf("path %+v, want the gateway endpoint and a note on the interface endpoint", p)
	}
}
