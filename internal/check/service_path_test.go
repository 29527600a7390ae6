package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

func TestServicePath(t *testing.T) {
	tests := []struct {
		name       string
		workload   func() *workload.Workload
		snapshot   func() *network.Snapshot
		policy     func(string, network.Endpoint) (bool, string)
		wantPassed int
		// want lists "service@az: message fragment" for each failure.
		want       []string
		unverified bool
	}{{
		name:     "on-demand MSK in private subnets without NAT or endpoints",
		workload: onDemandESM, snapshot: baseVPC,
		want: []string{
			"lambda@us-east-1a: route table rtb-a has no 0.0.0.0/0 route", "sts@us-east-1a: no sts interface endpoint with private DNS",
			"lambda@us-east-1b: route table rtb-b has no 0.0.0.0/0 route", "sts@us-east-1b: no NAT path",
		},
	}, {
		name:     "a NAT gateway per zone",
		workload: onDemandESM, snapshot: func() *network.Snapshot { return withNATs(baseVPC(), false) },
		wantPassed: 4,
	}, {
		name:     "lambda and sts endpoints and no NAT",
		workload: onDemandESM, snapshot: func() *network.Snapshot { return withEndpoints(baseVPC(), "lambda", "sts") },
		wantPassed: 4,
	}, {
		name:     "a lambda endpoint alone leaves sts unreachable",
		workload: onDemandESM, snapshot: func() *network.Snapshot { return withEndpoints(baseVPC(), "lambda") },
		wantPassed: 2,
		want:       []string{"sts@us-east-1a: no sts interface endpoint", "sts@us-east-1b: no sts interface endpoint"},
	}, {
		name:     "mixed paths: lambda through its endpoint, sts through NAT gateways",
		workload: onDemandESM, snapshot: func() *network.Snapshot { return withEndpoints(withNATs(baseVPC(), false), "lambda") },
		wantPassed: 4,
	}, {
		name:     "an endpoint that drops 443 breaks its service even with NAT gateways (shadowing)",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := withNATs(baseVPC(), false)
			s.SecurityGroups = append(s.SecurityGroups, network.SecurityGroup{ID: "sg-ep"})
			s.Endpoints = []network.Endpoint{{ID: "vpce-sts", ServiceName: "com.amazonaws.us-east-1.sts", Type: "Interface", State: "available",
				SubnetIDs: []string{"priv-a", "priv-b"}, SecurityGroupIDs: []string{"sg-ep"}, PrivateDNS: true}}
			return s
		},
		wantPassed: 2,
		want:       []string{"sts@us-east-1a: cannot be reached on TCP 443", "sts@us-east-1b: a NAT gateway cannot take over"},
	}, {
		name:     "a NAT gateway deleted under its route",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := withNATs(baseVPC(), false)
			s.NATGateways[0].State = "deleted"
			return s
		},
		wantPassed: 2,
		want:       []string{"lambda@us-east-1a: NAT gateway nat-a is deleted", "sts@us-east-1a: NAT gateway nat-a is deleted"},
	}, {
		name:     "a blackhole route",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := withNATs(baseVPC(), false)
			s.NATGateways = s.NATGateways[1:]
			s.RouteTables[2].Routes[1].Active = false
			return s
		},
		wantPassed: 2,
		want:       []string{"lambda@us-east-1a: blackhole", "sts@us-east-1a: blackhole"},
	}, {
		name:     "a NAT gateway in a private subnet reaches nothing",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := withNATs(baseVPC(), false)
			s.NATGateways[0].SubnetID, s.NATGateways[1].SubnetID = "priv-b", "priv-a"
			return s
		},
		want: []string{
			"lambda@us-east-1a: sits in subnet priv-b, which is not public", "sts@us-east-1a: not public",
			"lambda@us-east-1b: sits in subnet priv-a, which is not public", "sts@us-east-1b: not public",
		},
	}, {
		name: "on-demand MSK in public subnets: a NAT path does not help",
		workload: func() *workload.Workload {
			w := onDemandESM()
			w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
			return w
		},
		snapshot: func() *network.Snapshot { return withNATs(baseVPC(), false) },
		want: []string{
			"lambda@us-east-1a: only a PrivateLink endpoint serves here, since subnet pub-a is public", "sts@us-east-1a: a NAT gateway does not help",
			"lambda@us-east-1b: subnet pub-b is public", "sts@us-east-1b: only a PrivateLink endpoint",
		},
	}, {
		name: "on-demand MSK in public subnets with endpoints",
		workload: func() *workload.Workload {
			w := onDemandESM()
			w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
			return w
		},
		snapshot: func() *network.Snapshot {
			s := withEndpoints(baseVPC(), "lambda", "sts")
			for i := range s.Endpoints {
				s.Endpoints[i].SubnetIDs = []string{"pub-a", "pub-b"}
			}
			return s
		},
		wantPassed: 4,
	}, {
		name: "a secret adds Secrets Manager",
		workload: func() *workload.Workload {
			w := onDemandESM()
			w.Kafka.SecretARNs = []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-AbC"}
			return w
		},
		snapshot:   func() *network.Snapshot { return withEndpoints(baseVPC(), "lambda", "sts") },
		wantPassed: 4,
		want:       []string{"secretsmanager@us-east-1a: authenticates with secret", "secretsmanager@us-east-1b: no secretsmanager interface endpoint"},
	}, {
		name: "provisioned mode needs no service path",
		workload: func() *workload.Workload {
			w := onDemandESM()
			w.Kafka.OnDemand = false
			return w
		},
		snapshot: baseVPC,
	}, {
		name: "provisioned mode in public subnets needs none either",
		workload: func() *workload.Workload {
			w := onDemandESM()
			w.Kafka.OnDemand = false
			w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
			return w
		},
		snapshot: baseVPC,
	}, {
		name:     "an endpoint without private DNS is not used",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := withEndpoints(baseVPC(), "lambda", "sts")
			for i := range s.Endpoints {
				s.Endpoints[i].PrivateDNS = false
			}
			return s
		},
		want: []string{
			"lambda@us-east-1a: private DNS is off", "sts@us-east-1a: private DNS is off",
			"lambda@us-east-1b: private DNS is off", "sts@us-east-1b: private DNS is off",
		},
	}, {
		name:     "DNS hostnames off: the endpoints are bypassed and the NAT gateways serve",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := withEndpoints(withNATs(baseVPC(), false), "lambda", "sts")
			s.VPC.DNSHostnames = false
			return s
		},
		wantPassed: 4,
	}, {
		name:     "an endpoint policy restricted to the organisation refuses Lambda",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot { return withEndpoints(baseVPC(), "lambda", "sts") },
		policy: func(service string, e network.Endpoint) (bool, string) {
			return service != "sts", "aws:PrincipalOrgID does not match the Lambda service"
		},
		wantPassed: 2,
		want:       []string{"sts@us-east-1a: refuses the request: aws:PrincipalOrgID", "sts@us-east-1b: policy of the sts endpoint vpce-sts"},
	}, {
		name:     "a default route to a transit gateway cannot be verified",
		workload: onDemandESM,
		snapshot: func() *network.Snapshot {
			s := baseVPC()
			for i := range s.RouteTables[2:] {
				s.RouteTables[2+i].Routes = append(s.RouteTables[2+i].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetTransitGateway, TargetID: "tgw-1", Active: true})
			}
			return s
		},
		want: []string{
			"lambda@us-east-1a: goes to tgw-1", "sts@us-east-1a: cannot see",
			"lambda@us-east-1b: goes to tgw-1", "sts@us-east-1b: cannot see",
		},
		unverified: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := target(tt.workload(), tt.snapshot())
			tgt.Policy = tt.policy
			findings, passed := results(t, servicePath, tgt)
			if passed != tt.wantPassed {
				t.Errorf("passed = %d, want %d", passed, tt.wantPassed)
			}
			if len(findings) != len(tt.want) {
				t.Fatalf("%d findings, want %d: %+v", len(findings), len(tt.want), findings)
			}
			for i, want := range tt.want {
				where, fragment, _ := strings.Cut(want, ": ")
				service, az, _ := strings.Cut(where, "@")
				f := findings[i]
				if f.Service != service || f.AZ != az || !strings.Contains(f.Message, fragment) {
					t.Errorf("finding %d = %s@%s %q, want %s@%s containing %q", i, f.Service, f.AZ, f.Message, service, az, fragment)
				}
				wantSeverity := report.SeverityError
				if tt.unverified {
					wantSeverity = report.SeverityInfo
				}
				if f.Severity != wantSeverity || f.Unverified != tt.unverified || f.CheckID != "VM102" {
					t.Errorf("finding %d: severity %s unverified %v check %s", i, f.Severity, f.Unverified, f.CheckID)
				}
				if !strings.HasPrefix(f.Message, "ESM 3f1c0d2e (consumer <- MSK orders) in "+az) {
					t.Errorf("message does not name the workload and zone first: %q", f.Message)
				}
			}
		})
	}
}

func TestServicePathOfAFunctionInAPublicSubnet(t *testing.T) {
	s := withFunctionGroups(withNATs(baseVPC(), false))
	f := oneCheck(t, servicePath, functionTarget(vpcFunction("pub-a"), s, "s3"), 0,
		"function api in us-east-1a (subnet pub-a) cannot reach s3, needed because policy app allows s3:*: no s3 interface endpoint with private DNS in VPC vpc-1, and subnet pub-a is public (route table rtb-pub sends 0.0.0.0/0 to igw-1), but a function in a public subnet gets no public IP")
	if f[0].Severity != report.SeverityError || f[0].Unverified {
		t.Errorf("finding %+v, want an error", f[0])
	}
	// The same function in a private subnet goes through its zone's NAT.
	oneCheck(t, servicePath, functionTarget(vpcFunction("priv-a"), s, "s3"), 1)
}
