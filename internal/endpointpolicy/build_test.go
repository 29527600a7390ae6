package endpointpolicy

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLeastPrivilegePolicies(t *testing.T) {
	secrets, err := SecretsManager(roleARN, []string{secretARN})
	if err != nil {
		t.Fatalf("SecretsManager: %v", err)
	}
	tests := []struct {
		name       string
		policy     string
		allowed    Request
		neighbours map[string]Request // situation -> a request the policy must refuse
	}{
		{
			name:    "STS endpoint",
			policy:  STS(),
			allowed: STSRequest(),
			neighbours: map[string]Request{
				"another STS action":      {Action: "sts:GetCallerIdentity", Resource: "*", PrincipalService: LambdaService},
				"another service":         {Action: "sts:AssumeRole", Resource: "*", PrincipalService: "ec2.amazonaws.com"},
				"the execution role":      {Action: "sts:AssumeRole", Resource: "*", PrincipalARN: roleARN},
				"Lambda's other endpoint": LambdaRequest(),
			},
		},
		{
			name:    "Lambda endpoint",
			policy:  Lambda(),
			allowed: LambdaRequest(),
			neighbours: map[string]Request{
				"another Lambda action": {Action: "lambda:UpdateFunctionCode", Resource: "*", PrincipalService: LambdaService},
				"another service":       {Action: "lambda:InvokeFunction", Resource: "*", PrincipalService: "events.amazonaws.com"},
				"a role of the account": {Action: "lambda:InvokeFunction", Resource: "*", PrincipalARN: roleARN},
				"STS's request":         STSRequest(),
			},
		},
		{
			name:    "Secrets Manager endpoint",
			policy:  secrets,
			allowed: SecretsManagerRequest(roleARN, secretARN),
			neighbours: map[string]Request{
				"another secret":          SecretsManagerRequest(roleARN, otherSecret),
				"another role":            SecretsManagerRequest(otherRole, secretARN),
				"the same name elsewhere": SecretsManagerRequest(foreignRole, secretARN),
				"another action":          {Action: "secretsmanager:PutSecretValue", Resource: secretARN, PrincipalARN: roleARN},
				"the Lambda service":      {Action: "secretsmanager:GetSecretValue", Resource: secretARN, PrincipalService: LambdaService},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertWellFormed(t, tt.policy)
			got, err := Evaluate(tt.policy, tt.allowed)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if !got.Allowed || len(got.Assumed) > 0 {
				t.Errorf("the request Lambda makes: allowed %v, assumed %q (%s)", got.Allowed, got.Assumed, got.Reason)
			}
			for situation, r := range tt.neighbours {
				got, err := Evaluate(tt.policy, r)
				if err != nil {
					t.Fatalf("Evaluate: %v", err)
				}
				if got.Allowed {
					t.Errorf("%s: allowed (%s)", situation, got.Reason)
				}
			}
		})
	}
}

func TestSTSDocumentIsStable(t *testing.T) {
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowLambdaAssumeRole",
      "Effect": "Allow",
      "Principal": {
        "Service": "lambda.amazonaws.com"
      },
      "Action": "sts:AssumeRole",
      "Resource": "*"
    }
  ]
}`
	if got := STS(); got != want {
		t.Errorf("STS() =\n%s\nwant\n%s", got, want)
	}
}

func TestSecretsManagerPolicy(t *testing.T) {
	t.Run("several secrets in any order give one sorted document", func(t *testing.T) {
		a, err := SecretsManager(roleARN, []string{secretARN, otherSecret, secretARN})
		if err != nil {
			t.Fatal(err)
		}
		b, err := SecretsManager(roleARN, []string{otherSecret, secretARN})
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("documents differ:\n%s\n%s", a, b)
		}
		if strings.Index(a, otherSecret) > strings.Index(a, secretARN) || strings.Count(a, secretARN) != 1 {
			t.Errorf("secrets not sorted and deduplicated:\n%s", a)
		}
		for _, s := range []string{secretARN, otherSecret} {
			if d, _ := Evaluate(a, SecretsManagerRequest(roleARN, s)); !d.Allowed {
				t.Errorf("%s refused: %s", s, d.Reason)
			}
		}
	})
	refusals := []struct {
		name    string
		role    string
		secrets []string
		wantErr string
	}{
		{"no execution role", "", []string{secretARN}, "not an ARN"},
		{"a role name instead of its ARN", "orders-consumer", []string{secretARN}, "not an ARN"},
		{"no secret", roleARN, nil, "no secret"},
		{"only empty secret ARNs", roleARN, []string{"", ""}, "no secret"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SecretsManager(tt.role, tt.secrets)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// assertWellFormed checks what AWS and readers of the document rely on: a
// Version, and a Sid on every statement.
func assertWellFormed(t *testing.T, policy string) {
	t.Helper()
	var doc struct {
		Version   string
		Statement []struct{ Sid string }
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, policy)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("Version = %q", doc.Version)
	}
	if len(doc.Statement) == 0 {
		t.Fatal("no statement")
	}
	for i, s := range doc.Statement {
		if s.Sid == "" {
			t.Errorf("statement %d has no Sid", i+1)
		}
	}
}

func TestAccountWidePolicy(t *testing.T) {
	const account = "123456789012"
	tests := []struct {
		name    string
		action  string
		allowed map[string]Request
		refused map[string]Request
	}{
		{
			name:   "STS endpoint",
			action: LambdaAction("sts"),
			allowed: map[string]Request{
				"Lambda assuming the execution role": STSRequest(),
				"a function's role calling STS":      {Action: "sts:GetCallerIdentity", Resource: "*", PrincipalARN: roleARN},
				"another role of the account":        {Action: "sts:AssumeRole", Resource: "*", PrincipalARN: "arn:aws:iam::123456789012:role/other"},
			},
			refused: map[string]Request{
				"a role of another account":  {Action: "sts:AssumeRole", Resource: "*", PrincipalARN: foreignRole},
				"another service principal":  {Action: "sts:AssumeRole", Resource: "*", PrincipalService: "ec2.amazonaws.com"},
				"Lambda calling another STS": {Action: "sts:GetCallerIdentity", Resource: "*", PrincipalService: LambdaService},
			},
		},
		{
			name:   "SNS endpoint",
			action: LambdaAction("sns"),
			allowed: map[string]Request{
				"a function's role publishing": {Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:t", PrincipalARN: roleARN},
			},
			refused: map[string]Request{
				"the Lambda service": {Action: "sns:Publish", Resource: "*", PrincipalService: LambdaService},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy, err := AccountWide(account, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			assertWellFormed(t, policy)
			if strings.Contains(policy, "0.0.0.0") {
				t.Errorf("policy names a CIDR:\n%s", policy)
			}
			for situation, r := range tt.allowed {
				if d, err := Evaluate(policy, r); err != nil || !d.Allowed || len(d.Assumed) > 0 {
					t.Errorf("%s: allowed %v, assumed %q, err %v (%s)", situation, d.Allowed, d.Assumed, err, d.Reason)
				}
			}
			for situation, r := range tt.refused {
				if d, err := Evaluate(policy, r); err != nil || d.Allowed {
					t.Errorf("%s: allowed %v, err %v (%s)", situation, d.Allowed, err, d.Reason)
				}
			}
		})
	}
	for _, bad := range []string{"", "12345", "12345678901x"} {
		if _, err := AccountWide(bad, ""); err == nil {
			t.Errorf("AccountWide(%q) accepted", bad)
		}
	}
}
