package check

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// oneCheck runs a check and compares its passes and the message fragments
// of its failures, in order.
func oneCheck(t *testing.T, c Check, tgt *Target, wantPassed int, want ...string) []report.Finding {
	t.Helper()
	findings, passed := results(t, c, tgt)
	if passed != wantPassed {
		t.Errorf("passed = %d, want %d", passed, wantPassed)
	}
	if len(findings) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(findings), len(want), findings)
	}
	for i, fragment := range want {
		if !strings.Contains(findings[i].Message, fragment) {
			t.Errorf("finding %d = %q, want it to contain %q", i, findings[i].Message, fragment)
		}
		if findings[i].Check != c.Name || findings[i].Remediation != c.Remediation {
			t.Errorf("finding %d names check %q", i, findings[i].Check)
		}
	}
	return findings
}

func TestCrossZone(t *testing.T) {
	t.Run("NAT gateways in their own zones", func(t *testing.T) {
		oneCheck(t, crossZone, target(onDemandESM(), withNATs(baseVPC(), false)), 4)
	})
	t.Run("both zones through the NAT gateway of one", func(t *testing.T) {
		f := oneCheck(t, crossZone, target(onDemandESM(), withNATs(baseVPC(), true)), 2,
			"in us-east-1a (subnet priv-a) reaches lambda, but: route table rtb-a sends us-east-1a's traffic to NAT gateway nat-b in us-east-1b",
			"reaches sts, but")
		if f[0].Severity != report.SeverityWarning || f[0].AZ != "us-east-1a" {
			t.Errorf("finding = %+v", f[0])
		}
	})
	t.Run("endpoints with an interface in one zone only", func(t *testing.T) {
		s := withEndpoints(baseVPC(), "lambda", "sts")
		for i := range s.Endpoints {
			s.Endpoints[i].SubnetIDs = []string{"priv-a"}
		}
		oneCheck(t, crossZone, target(onDemandESM(), s), 2,
			"us-east-1b (subnet priv-b) reaches lambda, but: the lambda endpoint vpce-lambda has no network interface in us-east-1b",
			"the sts endpoint vpce-sts has no network interface in us-east-1b")
	})
	t.Run("broken paths are left to service-path", func(t *testing.T) {
		oneCheck(t, crossZone, target(onDemandESM(), baseVPC()), 0)
	})
}

func TestBrokerAccess(t *testing.T) {
	t.Run("self-referencing rule on the broker port", func(t *testing.T) {
		oneCheck(t, brokerAccess, target(onDemandESM(), baseVPC()), 2)
	})
	t.Run("ingress on another port", func(t *testing.T) {
		s := baseVPC()
		s.SecurityGroups[0].Ingress[0].FromPort, s.SecurityGroups[0].Ingress[0].ToPort = 9096, 9096
		f := oneCheck(t, brokerAccess, target(onDemandESM(), s), 0,
			"in us-east-1a (subnet priv-a) cannot reach the brokers on TCP 9098", "in us-east-1b (subnet priv-b) cannot reach the brokers on TCP 9098")
		if f[0].Service != "kafka" || !slices.Contains(f[0].Resources, "sg-msk") {
			t.Errorf("finding = %+v", f[0])
		}
	})
	t.Run("ingress from the VPC CIDR covers the mapping's interfaces", func(t *testing.T) {
		s := baseVPC()
		s.SecurityGroups[0].Ingress[0] = network.Rule{Protocol: "tcp", FromPort: 9092, ToPort: 9098, CIDR: prefix("10.0.0.0/16")}
		oneCheck(t, brokerAccess, target(onDemandESM(), s), 2)
	})
	t.Run("no egress from the cluster group", func(t *testing.T) {
		s := baseVPC()
		s.SecurityGroups[0].Egress = nil
		oneCheck(t, brokerAccess, target(onDemandESM(), s), 0, "TCP 9098", "TCP 9098")
	})
	t.Run("self-managed Kafka: egress on the bootstrap port", func(t *testing.T) {
		w := onDemandESM()
		w.Kafka.Source, w.Kafka.BrokerPorts = workload.SourceSelfManagedKafka, []int{9092}
		s := baseVPC()
		oneCheck(t, brokerAccess, target(w, s), 1)
		s.SecurityGroups[0].Egress = []network.Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: prefix("0.0.0.0/0")}}
		oneCheck(t, brokerAccess, target(w, s), 0, "allows TCP 9092 out")
	})
}

func TestVPCDNS(t *testing.T) {
	oneCheck(t, vpcDNS, target(onDemandESM(), baseVPC()), 1)
	s := withNATs(baseVPC(), false)
	s.VPC.DNSSupport = false
	oneCheck(t, vpcDNS, target(onDemandESM(), s), 0, "VPC vpc-1 has DNS support turned off")
	// The per-service paths are not reported again for the same cause.
	if findings, _ := results(t, servicePath, target(onDemandESM(), s)); len(findings) != 0 {
		t.Errorf("service-path repeats the DNS cause: %+v", findings)
	}
}

func TestCustomDNS(t *testing.T) {
	s := withEndpoints(baseVPC(), "lambda", "sts")
	s.VPC.DNSServers = []string{"10.0.0.53"}
	oneCheck(t, customDNS, target(onDemandESM(), s), 0, "relies on private endpoint names for lambda, sts, but VPC vpc-1 uses DNS servers 10.0.0.53")
	// Through NAT gateways the public names resolve anywhere.
	s = withNATs(baseVPC(), false)
	s.VPC.DNSServers = []string{"10.0.0.53"}
	oneCheck(t, customDNS, target(onDemandESM(), s), 1)
	oneCheck(t, customDNS, target(onDemandESM(), withEndpoints(baseVPC(), "lambda", "sts")), 1)
}

func TestSubnetFreeIPs(t *testing.T) {
	s := baseVPC()
	s.Subnets[3].FreeIPs = 3
	f := oneCheck(t, subnetFreeIPs, target(onDemandESM(), s), 1, "subnet priv-b in us-east-1b has only 3 free IP addresses")
	if f[0].Severity != report.SeverityWarning {
		t.Errorf("severity = %s", f[0].Severity)
	}
}

func TestUnverifiable(t *testing.T) {
	w := onDemandESM()
	w.Unresolved = "the event source is a managed VPC connection to a cluster in another account"
	findings, passed := Run(&Target{Workload: w, Region: region})
	if passed != 0 || len(findings) != 1 || !findings[0].Unverified || report.StatusOf(findings) != report.StatusUnknown {
		t.Fatalf("findings = %+v", findings)
	}
	if !strings.Contains(findings[0].Message, "another account") {
		t.Errorf("message = %q", findings[0].Message)
	}
}

func TestKafkaRequirements(t *testing.T) {
	tests := []struct {
		name  string
		kafka workload.Kafka
		want  []string
	}{
		{"on-demand with IAM auth", workload.Kafka{OnDemand: true}, []string{"lambda", "sts"}},
		{"on-demand with a secret", workload.Kafka{OnDemand: true, SecretARNs: []string{"arn:aws:secretsmanager:us-east-1:1:secret:s"}}, []string{"lambda", "sts", "secretsmanager"}},
		{"provisioned", workload.Kafka{SecretARNs: []string{"arn:aws:secretsmanager:us-east-1:1:secret:s"}}, nil},
		{"on-failure queue", workload.Kafka{OnFailureDestination: "arn:aws:sqs:us-east-1:123456789012:failed"}, []string{"sqs"}},
		{"on-failure bucket, on-demand", workload.Kafka{OnDemand: true, OnFailureDestination: "arn:aws:s3:::failed-batches"}, []string{"lambda", "sts", "s3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.kafka
			var got []string
			for _, r := range KafkaRequirements(&workload.Workload{Kind: workload.KindKafkaESM, Kafka: &k}) {
				got = append(got, r.Service)
				if r.Why == "" {
					t.Errorf("%s has no reason", r.Service)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("services = %v, want %v", got, tt.want)
			}
		})
	}
}

// The whole registry on the broken and the healthy network of the
// documentation: broken is broken, healthy has no finding at all.
func TestRunOnDocumentedNetworks(t *testing.T) {
	findings, _ := Run(target(onDemandESM(), baseVPC()))
	if report.StatusOf(findings) != report.StatusBroken {
		t.Errorf("broken network: status %s, findings %+v", report.StatusOf(findings), findings)
	}
	for name, s := range map[string]*network.Snapshot{
		"NAT gateways": withNATs(baseVPC(), false),
		"endpoints":    withEndpoints(baseVPC(), "lambda", "sts"),
	} {
		findings, passed := Run(target(onDemandESM(), s))
		if len(findings) != 0 || passed == 0 {
			t.Errorf("%s: %d passed, findings %+v", name, passed, findings)
		}
	}
}

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// The registry stays well-formed: unique IDs and names, every text field
// written, a valid severity, and a remediation that starts with a verb.
func TestRegistry(t *testing.T) {
	ids, names := map[string]bool{}, map[string]bool{}
	for _, c := range Registry {
		if !regexp.MustCompile(`^VM\d{3}$`).MatchString(c.ID) || ids[c.ID] {
			t.Errorf("check %q: ID %q is malformed or repeated", c.Name, c.ID)
		}
		if !kebab.MatchString(c.Name) || names[c.Name] {
			t.Errorf("check %s: name %q is not kebab-case or repeated", c.ID, c.Name)
		}
		ids[c.ID], names[c.Name] = true, true
		if c.Title == "" || c.Impact == "" || c.Remediation == "" || c.Run == nil {
			t.Errorf("check %s is incomplete", c.ID)
		}
		if !slices.Contains([]report.Severity{report.SeverityError, report.SeverityWarning, report.SeverityInfo}, c.Severity) {
			t.Errorf("check %s: severity %q", c.ID, c.Severity)
		}
		if first, _, _ := strings.Cut(c.Remediation, " "); strings.HasSuffix(first, "s") || strings.HasSuffix(first, "ing") {
			t.Errorf("check %s: remediation %q does not start with an imperative verb", c.ID, c.Remediation)
		}
	}
}
