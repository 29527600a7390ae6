package scenario

import (
	"testing"

	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
)

func TestParseSubnetSpec(t *testing.T) {
	s := &Scenario{region: "eu-west-1"}
	tests := []struct {
		name, spec, wantCIDR, wantAZ string
		wantErr                      bool
	}{
		{name: "full AZ name", spec: "10.0.0.0/24@eu-west-1c", wantCIDR: "10.0.0.0/24", wantAZ: "eu-west-1c"},
		{name: "zone letter alone", spec: "10.0.1.0/24@b", wantCIDR: "10.0.1.0/24", wantAZ: "eu-west-1b"},
		{name: "no AZ defaults to zone a", spec: "10.0.2.0/24", wantCIDR: "10.0.2.0/24", wantAZ: "eu-west-1a"},
		{name: "AZ without a CIDR", spec: "eu-west-1a", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cidr, az, err := s.parseSubnetSpec(tt.spec)
			if (err != nil) != tt.wantErr || cidr != tt.wantCIDR || az != tt.wantAZ {
				t.Errorf("parseSubnetSpec(%q) = %q, %q, %v; want %q, %q, error %v", tt.spec, cidr, az, err, tt.wantCIDR, tt.wantAZ, tt.wantErr)
			}
		})
	}
}

func TestManagedPolicyARN(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "lambda policy lives under service-role", in: "AWSLambdaMSKExecutionRole", want: "arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole"},
		{name: "other AWS policy at the root", in: "AmazonMSKReadOnlyAccess", want: "arn:aws:iam::aws:policy/AmazonMSKReadOnlyAccess"},
		{name: "full ARN kept", in: "arn:aws:iam::123456789012:policy/mine", want: "arn:aws:iam::123456789012:policy/mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ManagedPolicy(tt.in).managedARN; got != tt.want {
				t.Errorf("ManagedPolicy(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClusterAuthentication(t *testing.T) {
	s := &Scenario{region: "us-east-1"}
	tests := []struct {
		name       string
		auth       Auth
		wantString string
		wantBroker kafkatypes.ClientBroker
	}{
		{name: "plaintext only", auth: AuthPlaintext, wantString: "plaintext", wantBroker: kafkatypes.ClientBrokerPlaintext},
		{name: "plaintext next to IAM", auth: AuthPlaintext | AuthIAM, wantString: "plaintext+iam", wantBroker: kafkatypes.ClientBrokerTlsPlaintext},
		{name: "SCRAM and TLS", auth: AuthSCRAM | AuthTLS, wantString: "tls+scram", wantBroker: kafkatypes.ClientBrokerTls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.auth.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if got := clientBroker(tt.auth); got != tt.wantBroker {
				t.Errorf("clientBroker = %s, want %s", got, tt.wantBroker)
			}
			ca := s.clientAuthentication(tt.auth)
			gotIAM := ca.Sasl != nil && ca.Sasl.Iam != nil
			gotSCRAM := ca.Sasl != nil && ca.Sasl.Scram != nil
			if gotIAM != (tt.auth&AuthIAM != 0) || gotSCRAM != (tt.auth&AuthSCRAM != 0) ||
				(ca.Tls != nil) != (tt.auth&AuthTLS != 0) || (ca.Unauthenticated != nil) != (tt.auth&AuthPlaintext != 0) {
				t.Errorf("client authentication %+v does not match %s", ca, tt.auth)
			}
		})
	}
}

func TestESMRequestIsStable(t *testing.T) {
	e := &ESM{Topic: "t", SourceAccess: map[string][]string{}}
	for _, opt := range []ESMOption{Secret("arn:secret:b", "CUSTOM_KIND"), Secret("arn:secret:a", "SASL_SCRAM_512_AUTH"), Provisioned(2, 5)} {
		opt(e)
	}
	e.SourceAccess["VPC_SUBNET"] = []string{"subnet:subnet-1"}
	in := e.input()
	var got []string
	for _, c := range in.SourceAccessConfigurations {
		got = append(got, string(c.Type)+"="+*c.URI)
	}
	want := []string{"VPC_SUBNET=subnet:subnet-1", "SASL_SCRAM_512_AUTH=arn:secret:a", "CUSTOM_KIND=arn:secret:b"}
	if len(got) != len(want) {
		t.Fatalf("source access %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("source access %v, want %v", got, want)
			break
		}
	}
	if p := in.ProvisionedPollerConfig; p == nil || *p.MinimumPollers != 2 || *p.MaximumPollers != 5 {
		t.Errorf("provisioned pollers %+v, want 2..5", p)
	}
}
