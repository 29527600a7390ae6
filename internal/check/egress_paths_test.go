package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
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
