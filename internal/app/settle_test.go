package app

import (
	"net/netip"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

func TestShows(t *testing.T) {
	dflt := netip.MustParsePrefix("0.0.0.0/0")
	snap := func(natState string, routeTarget string, dns bool) map[string]*network.Snapshot {
		s := &network.Snapshot{VPC: network.VPC{ID: "vpc-1", DNSSupport: dns}}
		s.NATGateways = []network.NATGateway{{ID: "nat-1", State: natState}}
		s.Endpoints = []network.Endpoint{{ID: "vpce-1", State: natState}}
		rt := network.RouteTable{ID: "rtb-1"}
		if routeTarget != "" {
			rt.Routes = []network.Route{{Destination: dflt, TargetID: routeTarget, Active: true}}
		}
		s.RouteTables = []network.RouteTable{rt}
		return map[string]*network.Snapshot{"vpc-1": s}
	}
	ec2 := func(action string, resources ...trail.Resource) trail.Trigger {
		return trail.Trigger{Source: trail.SourceEC2, Action: action, Resources: resources, VPCID: "vpc-1"}
	}
	route := func(action, target string) trail.Trigger {
		t := ec2(action)
		t.Route = &trail.RouteChange{RouteTableID: "rtb-1", Destination: "0.0.0.0/0", TargetID: target}
		return t
	}
	dnsOff := ec2("ModifyVpcAttribute")
	dnsOff.VPCAttribute = &trail.VPCAttributeChange{Name: "enableDnsSupport", Value: false}
	tests := []struct {
		name    string
		trigger trail.Trigger
		snaps   map[string]*network.Snapshot
		want    bool
	}{
		{"NAT still available after its deletion", ec2("DeleteNatGateway", trail.Resource{Kind: trail.KindNATGateway, ID: "nat-1"}), snap("available", "", true), false},
		{"NAT deleting", ec2("DeleteNatGateway", trail.Resource{Kind: trail.KindNATGateway, ID: "nat-1"}), snap("deleting", "", true), true},
		{"endpoint still available after its deletion", ec2("DeleteVpcEndpoints", trail.Resource{Kind: trail.KindVPCEndpoint, ID: "vpce-1"}), snap("available", "", true), false},
		{"endpoint deleted", ec2("DeleteVpcEndpoints", trail.Resource{Kind: trail.KindVPCEndpoint, ID: "vpce-1"}), snap("deleted", "", true), true},
		{"created route not there yet", route("CreateRoute", "nat-1"), snap("available", "", true), false},
		{"created route there", route("CreateRoute", "nat-1"), snap("available", "nat-1", true), true},
		{"replaced route still on the old target", route("ReplaceRoute", "nat-2"), snap("available", "nat-1", true), false},
		{"deleted route still there", route("DeleteRoute", ""), snap("available", "nat-1", true), false},
		{"deleted route gone", route("DeleteRoute", ""), snap("available", "", true), true},
		{"DNS support still on", dnsOff, snap("available", "", true), false},
		{"DNS support off", dnsOff, snap("available", "", false), true},
		{"an event it cannot judge", ec2("RevokeSecurityGroupEgress"), snap("available", "", true), true},
		{"not an EC2 event", trail.Trigger{Source: trail.SourceLambda, Action: "CreateFunction"}, snap("available", "", true), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shows(tt.trigger, tt.snaps); got != tt.want {
				t.Errorf("shows = %v, want %v", got, tt.want)
			}
		})
	}
}
