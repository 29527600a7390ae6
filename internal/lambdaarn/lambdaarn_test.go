package lambdaarn

import "testing"

func TestUnqualified(t *testing.T) {
	const fn = "arn:aws:lambda:eu-west-1:123456789012:function:api"
	tests := []struct{ in, account, region, want string }{
		{fn, "", "", fn},
		{fn + ":live", "", "", fn},
		{fn + ":$LATEST", "", "", fn},
		{"api", "123456789012", "eu-west-1", fn},
		{"123456789012:function:api:7", "", "eu-west-1", fn},
		{"api", "", "", "api"},
		{"api", "123456789012", "cn-north-1", "arn:aws-cn:lambda:cn-north-1:123456789012:function:api"},
	}
	for _, tt := range tests {
		if got := Unqualified(tt.in, tt.account, tt.region); got != tt.want {
			t.Errorf("Unqualified(%q, %q, %q) = %q, want %q", tt.in, tt.account, tt.region, got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:lambda:eu-west-1:123456789012:function:api":      "api",
		"arn:aws:lambda:eu-west-1:123456789012:function:api:live": "api",
		"api": "api",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
