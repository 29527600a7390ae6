package trail

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// samples returns the sample events of one events/ directory.
func samples(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "events", dir, "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no samples in events/%s (%v)", dir, err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = raw
	}
	return out
}

// Every sample a rule delivers parses into a trigger that names its action
// (the file name's first word) and at least one resource, or says why any
// VPC may be affected.
func TestSamplesParse(t *testing.T) {
	for _, dir := range []string{"on-lambda-change", "on-network-change"} {
		for name, raw := range samples(t, dir) {
			t.Run(dir+"/"+name, func(t *testing.T) {
				tr, err := Parse(raw)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if want, _, _ := strings.Cut(name, "-"); tr.Action != want {
					t.Errorf("action = %q, want %q", tr.Action, want)
				}
				if tr.Skip != "" || tr.EventID == "" || tr.Actor == nil || len(tr.Resources) == 0 && tr.AllVPCs == "" {
					t.Errorf("trigger = %+v", tr)
				}
			})
		}
	}
	tr, err := Parse(samples(t, "sweep")["scheduled.json"])
	if err != nil || tr.Action != ActionSweep {
		t.Errorf("scheduled sample: %+v, %v", tr, err)
	}
}

// Events no rule delivers are still handled: failed calls are skipped,
// everything else is a terminal error, never a panic.
func TestUnmatchedSamples(t *testing.T) {
	for name, raw := range samples(t, "unmatched") {
		t.Run(name, func(t *testing.T) {
			tr, err := Parse(raw)
			var perr *Error
			switch {
			case err == nil && tr.Skip == "":
				t.Errorf("accepted as work: %+v", tr)
			case err != nil && !errors.As(err, &perr):
				t.Errorf("err = %v, want a *trail.Error", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"on-lambda-change", "on-network-change", "sweep", "unmatched"} {
		for _, raw := range samples(f, dir) {
			f.Add(raw)
		}
	}
	// Shapes no sample carries.
	for _, raw := range [][]byte{
		apiCall("aws.ec2", "ReplaceRoute", `{"ReplaceRouteRequest": {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.0.0.0/16", "LocalTarget": "true"}}`, `null`),
		apiCall("aws.ec2", "RevokeSecurityGroupIngress", `{"groupName": "web", "ipProtocol": "tcp", "fromPort": "22", "toPort": 22, "cidrIp": "203.0.113.0/24"}`, `null`),
		apiCall("aws.ec2", "DeleteVpcBlockPublicAccessExclusion", `{"ExclusionId": "exclusion-1"}`, `{"requestId": "r-1"}`),
		apiCall("aws.kafka", "RejectClientVpcConnection", `{"clusterArn": "arn:aws:kafka:eu-west-1:1:cluster/c/1", "vpcConnectionArn": "arn:aws:kafka:eu-west-1:2:vpc-connection/1/c/2"}`, `null`),
	} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tr, err := Parse(raw)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want a *trail.Error", err)
			}
			return
		}
		if tr.Action == "" || tr.Resources == nil && tr.Action != ActionSweep {
			t.Fatalf("accepted trigger without an action or resources: %+v", tr)
		}
	})
}
