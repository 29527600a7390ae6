package check

import "testing"

func TestSingleZone(t *testing.T) {
	tests := []struct {
		name       string
		subnets    []string
		wantPassed int
		want       []string
	}{
		{"two zones", []string{"priv-a", "priv-b"}, 1, nil},
		{"two subnets of one zone", []string{"priv-a", "pub-a"}, 0, []string{"function api runs only in us-east-1a (subnets priv-a, pub-a)"}},
		{"one subnet", []string{"priv-b"}, 0, []string{"runs only in us-east-1b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := oneCheck(t, singleZone, functionTarget(vpcFunction(tt.subnets...), withFunctionGroups(baseVPC())), tt.wantPassed, tt.want...)
			for _, x := range f {
				if x.Severity != "warning" {
					t.Errorf("severity %s, want warning", x.Severity)
				}
			}
		})
	}
	// A Kafka mapping's zones are its cluster's: not this check's business.
	oneCheck(t, singleZone, target(onDemandESM(), baseVPC()), 0)
}
