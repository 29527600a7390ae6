package endpointpolicy

import "testing"

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "x", false},
		{"sts:Assume*", "sts:AssumeRole", true},
		{"sts:Assume*", "sts:Assume", true},
		{"sts:Assume*", "sts:GetCallerIdentity", false},
		{"sts:Assume?ole", "sts:AssumeRole", true},
		{"sts:Assume?ole", "sts:AssumeRRole", false},
		{"*:secret:AmazonMSK_*", "arn:aws:secretsmanager:us-east-1:1:secret:AmazonMSK_orders-AbC", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"*b", "bbb", true},
		{"AmazonMSK_*", "amazonmsk_orders", false}, // case matters for resources
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
	if !wildcardMatchFold("STS:assume*", "sts:AssumeRole") {
		t.Error("actions must match without case")
	}
}

func TestCoversEverything(t *testing.T) {
	for pattern, want := range map[string]bool{"*": true, "**": true, "arn:*": false, "": false, "arn:aws:iam::1:role/*": false} {
		if got := coversEverything(pattern); got != want {
			t.Errorf("coversEverything(%q) = %v, want %v", pattern, got, want)
		}
	}
}
