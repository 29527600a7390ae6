package endpointpolicy

import (
	"net/url"
	"strings"
	"testing"
)

const (
	account     = "123456789012"
	roleARN     = "arn:aws:iam::123456789012:role/service-role/orders-consumer"
	sessionARN  = "arn:aws:sts::123456789012:assumed-role/orders-consumer/awslambda_42"
	otherRole   = "arn:aws:iam::123456789012:role/billing"
	foreignRole = "arn:aws:iam::210987654321:role/orders-consumer"
	secretARN   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_orders-AbCdEf"
	otherSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_billing-XyZ123"
)

// orgOnly is the policy DOMAIN.md warns about: it admits only principals of
// the organisation, which Lambda's service principal is not part of.
const orgOnly = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "OrgOnly", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
  }]
}`

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name        string
		policy      string
		request     Request
		wantAllowed bool
		wantReason  []string // substrings of Decision.Reason
		wantAssumed []string // substrings, each found in some Assumed entry; nil means none assumed
	}{
		{
			name:        "default full-access policy allows Lambda to assume roles",
			policy:      FullAccess,
			request:     STSRequest(),
			wantAllowed: true,
			wantReason:  []string{"statement 1 allows sts:AssumeRole by lambda.amazonaws.com on *"},
		},
		{
			name:        "default policy with Version and whitespace allows the execution role to read a secret",
			policy:      "\n" + `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}` + "\n",
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
		},
		{
			name:        "empty policy means full access",
			policy:      "  \n ",
			request:     LambdaRequest(),
			wantAllowed: true,
			wantReason:  []string{"no endpoint policy"},
		},
		{
			name: "custom policy allowing sts:AssumeRole for the Lambda service principal",
			policy: `{"Statement":[{"Sid":"LambdaAssume","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},
				"Action":"sts:AssumeRole","Resource":"*"}]}`,
			request:     STSRequest(),
			wantAllowed: true,
			wantReason:  []string{`statement 1 (Sid "LambdaAssume") allows`},
		},
		{
			name: "custom STS policy for the Lambda service principal refuses another service",
			policy: `{"Statement":[{"Sid":"LambdaAssume","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},
				"Action":"sts:AssumeRole","Resource":"*"}]}`,
			request:    Request{Action: "sts:AssumeRole", Resource: "*", PrincipalService: "ec2.amazonaws.com"},
			wantReason: []string{"sts:AssumeRole by ec2.amazonaws.com on * is not allowed", "principal ec2.amazonaws.com is not in Principal"},
		},
		{
			name: "custom STS policy for the Lambda service principal refuses an IAM role",
			policy: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},
				"Action":"sts:AssumeRole","Resource":"*"}]}`,
			request:    Request{Action: "sts:AssumeRole", Resource: "*", PrincipalARN: roleARN},
			wantReason: []string{"principal " + roleARN + " is not in Principal"},
		},
		{
			name:       "policy allowing only the organisation refuses the Lambda service principal",
			policy:     orgOnly,
			request:    STSRequest(),
			wantReason: []string{"not allowed", `statement 1 (Sid "OrgOnly")`, "aws:PrincipalOrgID", "absent for service principal lambda.amazonaws.com"},
		},
		{
			name:        "policy allowing only the organisation admits a role of the account, assuming it is in the organisation",
			policy:      orgOnly,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
			wantAssumed: []string{"assumed " + roleARN + " is in organisation o-abc123"},
		},
		{
			name: "policy allowing only one account refuses the Lambda service principal",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}`,
			request:    LambdaRequest(),
			wantReason: []string{"aws:PrincipalAccount", "absent for service principal"},
		},
		{
			name: "aws:PrincipalAccount condition admits a role of that account",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}`,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
		},
		{
			name: "aws:PrincipalAccount condition refuses a role of another account",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}`,
			request:    SecretsManagerRequest(foreignRole, secretARN),
			wantReason: []string{"aws:PrincipalAccount is 210987654321"},
		},
		{
			name: "aws:PrincipalArn condition with a wildcard admits the matching role only",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/billing*"}}}]}`,
			request:    SecretsManagerRequest(roleARN, secretARN),
			wantReason: []string{"aws:PrincipalArn is " + roleARN},
		},
		{
			name: "explicit deny wins over a full allow",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"NoRoleAssumption","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`,
			request:    STSRequest(),
			wantReason: []string{`sts:AssumeRole by lambda.amazonaws.com on * is explicitly denied by statement 2 (Sid "NoRoleAssumption")`},
		},
		{
			name: "deny of another action leaves the request allowed",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Effect":"Deny","Principal":"*","Action":"sts:GetSessionToken","Resource":"*"}]}`,
			request:     STSRequest(),
			wantAllowed: true,
		},
		{
			name: "deny outside the organisation refuses the Lambda service principal",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
				 "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			request:    STSRequest(),
			wantReason: []string{`explicitly denied by statement 2 (Sid "Perimeter"): condition StringNotEquals {aws:PrincipalOrgID: o-abc123} holds (key absent for service principal lambda.amazonaws.com)`},
		},
		{
			name: "deny outside the organisation that exempts AWS services lets Lambda through",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
				 "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc123"},
				              "BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`,
			request:     STSRequest(),
			wantAllowed: true,
		},
		{
			name: "deny outside the organisation lets a role of the account through, assuming it is in the organisation",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
				 "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
			wantAssumed: []string{`statement 2 (Sid "Perimeter"): assumed ` + roleARN + " is in organisation o-abc123"},
		},
		{
			name:        "NotAction allows what it does not exclude",
			policy:      `{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":["lambda:*","iam:*"],"Resource":"*"}]}`,
			request:     STSRequest(),
			wantAllowed: true,
		},
		{
			name:       "NotAction refuses what it excludes",
			policy:     `{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":["lambda:*","iam:*"],"Resource":"*"}]}`,
			request:    LambdaRequest(),
			wantReason: []string{"action lambda:InvokeFunction is excluded by NotAction"},
		},
		{
			name:        "wildcard action sts:Assume* allows sts:AssumeRole",
			policy:      `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:Assume*","Resource":"*"}]}`,
			request:     STSRequest(),
			wantAllowed: true,
		},
		{
			name:        "actions compare without case and with ? wildcards",
			policy:      `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["STS:assume?ole"],"Resource":"*"}]}`,
			request:     STSRequest(),
			wantAllowed: true,
		},
		{
			name:       "wildcard action sts:Get* refuses sts:AssumeRole",
			policy:     `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:Get*","Resource":"*"}]}`,
			request:    STSRequest(),
			wantReason: []string{"action sts:AssumeRole is not in Action"},
		},
		{
			name:        `principal {"AWS":"*"} admits the Lambda service principal`,
			policy:      `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"lambda:InvokeFunction","Resource":"*"}]}`,
			request:     LambdaRequest(),
			wantAllowed: true,
		},
		{
			name:        `principal {"AWS":["*"]} admits a role`,
			policy:      `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"*","Resource":"*"}]}`,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
		},
		{
			name:        "principal given as an account ID admits every role of the account",
			policy:      `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}]}`,
			request:     SecretsManagerRequest(otherRole, secretARN),
			wantAllowed: true,
		},
		{
			name:        "principal given as the account root admits every role of the account",
			policy:      `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"*","Resource":"*"}]}`,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
		},
		{
			name:       "principal given as the account root refuses a role of another account",
			policy:     `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"*","Resource":"*"}]}`,
			request:    SecretsManagerRequest(foreignRole, secretARN),
			wantReason: []string{"principal " + foreignRole + " is not in Principal"},
		},
		{
			name:       "principal given as an account ID refuses the Lambda service principal",
			policy:     `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}]}`,
			request:    LambdaRequest(),
			wantReason: []string{"principal lambda.amazonaws.com is not in Principal"},
		},
		{
			name:       "NotPrincipal excluding the Lambda service refuses it",
			policy:     `{"Statement":[{"Effect":"Allow","NotPrincipal":{"Service":"lambda.amazonaws.com"},"Action":"*","Resource":"*"}]}`,
			request:    LambdaRequest(),
			wantReason: []string{"excluded by NotPrincipal"},
		},
		{
			name: "resource-scoped Secrets Manager policy allows the secret it names",
			policy: `{"Statement":[{"Sid":"ReadOrdersSecret","Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},
				"Action":"secretsmanager:GetSecretValue","Resource":"` + secretARN + `"}]}`,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
			wantReason:  []string{`Sid "ReadOrdersSecret"`},
		},
		{
			name: "resource-scoped Secrets Manager policy refuses another secret",
			policy: `{"Statement":[{"Sid":"ReadOrdersSecret","Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},
				"Action":"secretsmanager:GetSecretValue","Resource":"` + secretARN + `"}]}`,
			request:    SecretsManagerRequest(roleARN, otherSecret),
			wantReason: []string{"resource " + otherSecret + " is not covered by Resource " + secretARN},
		},
		{
			name: "resource-scoped Secrets Manager policy admits a session of the named role",
			policy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},
				"Action":"secretsmanager:GetSecretValue","Resource":"` + secretARN + `"}]}`,
			request:     SecretsManagerRequest(sessionARN, secretARN),
			wantAllowed: true,
		},
		{
			name: "resources match case-sensitively",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue",
				"Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:amazonmsk_*"}]}`,
			request:    SecretsManagerRequest(roleARN, secretARN),
			wantReason: []string{"is not covered by Resource"},
		},
		{
			name: "resource wildcard covers the secret",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue",
				"Resource":"arn:aws:secretsmanager:*:123456789012:secret:AmazonMSK_*"}]}`,
			request:     SecretsManagerRequest(roleARN, secretARN),
			wantAllowed: true,
		},
		{
			name:       "an unknown resource is not covered by a statement limited to some ARNs",
			policy:     `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/*"}]}`,
			request:    STSRequest(),
			wantReason: []string{"resource * is not covered by Resource arn:aws:iam::123456789012:role/*"},
		},
		{
			name: "a deny limited to some ARNs is not applied to an unknown resource, and that is recorded",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"ProtectAdmin","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/admin"}]}`,
			request:     STSRequest(),
			wantAllowed: true,
			wantAssumed: []string{`statement 2 (Sid "ProtectAdmin"): the request's resource is not known: assumed outside Resource arn:aws:iam::123456789012:role/admin`},
		},
		{
			name:       "NotResource is not applied to an unknown resource",
			policy:     `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:iam::123456789012:role/admin"}]}`,
			request:    STSRequest(),
			wantReason: []string{"is not covered by NotResource"},
		},
		{
			name: "an allow on a condition vpcmedic cannot evaluate is assumed to hold",
			policy: `{"Statement":[{"Sid":"FromOffice","Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`,
			request:     STSRequest(),
			wantAllowed: true,
			wantAssumed: []string{`statement 1 (Sid "FromOffice"): condition IpAddress {aws:SourceIp: 203.0.113.0/24} not evaluated`, "assumed to hold"},
		},
		{
			name: "a deny on a condition vpcmedic cannot evaluate is assumed not to hold",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"NoTLS","Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
				 "Condition":{"Bool":{"aws:SecureTransport":false}}}]}`,
			request:     LambdaRequest(),
			wantAllowed: true,
			wantAssumed: []string{`statement 2 (Sid "NoTLS"): condition Bool {aws:SecureTransport: false}`, "assumed not to hold"},
		},
		{
			name: "a deny that fails on a known key records no assumption about its other conditions",
			policy: `{"Statement":[
				{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
				 "Condition":{"Bool":{"aws:SecureTransport":false,"aws:PrincipalIsAWSService":false}}}]}`,
			request:     LambdaRequest(),
			wantAllowed: true,
		},
		{
			name: "aws:SourceVpce naming another endpoint refuses the request",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0aaa"}}}]}`,
			request:    Request{Action: "sts:AssumeRole", Resource: "*", PrincipalService: LambdaService, SourceVPCE: "vpce-0bbb"},
			wantReason: []string{"aws:SourceVpce is vpce-0bbb"},
		},
		{
			name: "aws:SourceVpc naming the endpoint's VPC allows the request",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:SourceVpc":["vpc-0111","vpc-0222"]}}}]}`,
			request:     Request{Action: "sts:AssumeRole", Resource: "*", PrincipalService: LambdaService, SourceVPC: "vpc-0222"},
			wantAllowed: true,
		},
		{
			name: "aws:SourceAccount on an IAM principal's request is absent",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`,
			request:    SecretsManagerRequest(roleARN, secretARN),
			wantReason: []string{"aws:SourceAccount", "absent for IAM principal"},
		},
		{
			name: "aws:SourceAccount on the Lambda service principal's request is assumed",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`,
			request:     STSRequest(),
			wantAllowed: true,
			wantAssumed: []string{"aws:SourceAccount", "assumed to hold"},
		},
		{
			name: "Null condition on aws:PrincipalOrgID sees it absent for a service principal",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"Null":{"aws:PrincipalOrgID":"true"}}}]}`,
			request:     LambdaRequest(),
			wantAllowed: true,
		},
		{
			name:        "statement given as a single object",
			policy:      `{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*"}}`,
			request:     LambdaRequest(),
			wantAllowed: true,
			wantReason:  []string{"statement 1 allows"},
		},
		{
			name:        "statement without Principal is taken as everyone, and that is recorded",
			policy:      `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			request:     LambdaRequest(),
			wantAllowed: true,
			wantAssumed: []string{"statement 1 has no Principal"},
		},
		{
			name:        "URL-encoded policy as IAM returns documents",
			policy:      url.QueryEscape(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Resource":"*"}]}`),
			request:     STSRequest(),
			wantAllowed: true,
		},
		{
			name:       "policy with an empty statement list allows nothing",
			policy:     `{"Version":"2012-10-17","Statement":[]}`,
			request:    STSRequest(),
			wantReason: []string{"the policy has no statements"},
		},
		{
			name: "refusal lists why each statement does not allow",
			policy: `{"Statement":[
				{"Sid":"Invoke","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*"},
				{"Sid":"Secrets","Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"` + secretARN + `"}]}`,
			request: STSRequest(),
			wantReason: []string{
				`statement 1 (Sid "Invoke"): action sts:AssumeRole is not in Action`,
				`statement 2 (Sid "Secrets"): action sts:AssumeRole is not in Action`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(tt.policy, tt.request)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			assertDecision(t, got, tt.wantAllowed, tt.wantReason, tt.wantAssumed)
		})
	}
}

func TestEvaluateRefusesWhatIsNotAPolicy(t *testing.T) {
	tests := []struct {
		name    string
		policy  string
		wantErr string
	}{
		{"not JSON", `Allow everything please`, "not a JSON object"},
		{"truncated JSON", `{"Statement":[{"Effect":"Allow"`, "not a JSON object"},
		{"a JSON array", `[{"Effect":"Allow"}]`, "not a JSON object"},
		{"no Statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"Statement is a string", `{"Statement":"Allow"}`, "neither an object nor an array"},
		{"effect neither Allow nor Deny", `{"Statement":[{"Effect":"Permit","Principal":"*","Action":"*","Resource":"*"}]}`, `effect "Permit"`},
		{"action is a number", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":7,"Resource":"*"}]}`, "statement 1"},
		{"neither Action nor NotAction", `{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}`, "Action and NotAction"},
		{"principal string other than *", `{"Statement":[{"Effect":"Allow","Principal":"lambda.amazonaws.com","Action":"*","Resource":"*"}]}`, "must be \"*\""},
		{"bad second statement", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","NotResource":"*"}]}`, "statement 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.policy, STSRequest())
			if err == nil {
				t.Fatal("Evaluate accepted a document that is not a policy")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestEvaluateIsStableAcrossRuns(t *testing.T) {
	// Conditions are JSON objects, read into maps: reasons must not depend on
	// map order.
	policy := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
		"Condition":{"StringEquals":{"aws:SourceIp":"x","aws:PrincipalTag/team":"y","aws:RequestedRegion":"us-east-1"},
		             "IpAddress":{"aws:VpcSourceIp":"10.0.0.0/8"}}}]}`
	first, err := Evaluate(policy, STSRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Assumed) != 4 {
		t.Fatalf("want 4 assumptions, got %q", first.Assumed)
	}
	for range 20 {
		again, _ := Evaluate(policy, STSRequest())
		if strings.Join(again.Assumed, "|") != strings.Join(first.Assumed, "|") {
			t.Fatalf("assumptions changed order:\n%q\n%q", first.Assumed, again.Assumed)
		}
	}
}

func assertDecision(t *testing.T, got Decision, wantAllowed bool, wantReason, wantAssumed []string) {
	t.Helper()
	if got.Allowed != wantAllowed {
		t.Errorf("Allowed = %v, want %v (reason: %s)", got.Allowed, wantAllowed, got.Reason)
	}
	if got.Reason == "" {
		t.Error("empty Reason")
	}
	for _, want := range wantReason {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("Reason %q does not contain %q", got.Reason, want)
		}
	}
	if wantAssumed == nil && len(got.Assumed) > 0 {
		t.Errorf("nothing should be assumed, got %q", got.Assumed)
	}
	for _, want := range wantAssumed {
		found := false
		for _, a := range got.Assumed {
			found = found || strings.Contains(a, want)
		}
		if !found {
			t.Errorf("Assumed %q has no entry containing %q", got.Assumed, want)
		}
	}
}
