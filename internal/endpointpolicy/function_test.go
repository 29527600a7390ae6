package endpointpolicy

import (
	"strings"
	"testing"
)

const topicARN = "arn:aws:sns:us-east-1:123456789012:orders"

func TestAdmit(t *testing.T) {
	publish := []string{"sns:Publish"}
	tests := []struct {
		name           string
		policy         string
		requests       []Request
		wantAdmitted   bool
		wantUnverified bool
		wantReason     []string
	}{
		{
			name:         "no policy admits everything",
			policy:       "",
			requests:     FunctionRequests(roleARN, publish, nil),
			wantAdmitted: true,
		},
		{
			name: "a policy for another role refuses the function, naming the statement and whom it admits",
			policy: `{"Statement":[{"Sid":"BillingOnly","Effect":"Allow","Principal":{"AWS":"` + otherRole + `"},
				"Action":"sns:*","Resource":"*"}]}`,
			requests:   FunctionRequests(roleARN, publish, []string{topicARN}),
			wantReason: []string{`statement 1 (Sid "BillingOnly")`, "principal " + roleARN + " is not in Principal, which admits " + otherRole},
		},
		{
			name: "a policy for the function's role admits it",
			policy: `{"Statement":[{"Sid":"Orders","Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},
				"Action":"sns:Publish","Resource":"` + topicARN + `"}]}`,
			requests:     FunctionRequests(roleARN, publish, []string{topicARN}),
			wantAdmitted: true,
			wantReason:   []string{`statement 1 (Sid "Orders") allows sns:Publish`},
		},
		{
			name: "a policy naming only another topic refuses the function's topic",
			policy: `{"Statement":[{"Sid":"Billing","Effect":"Allow","Principal":"*",
				"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:billing"}]}`,
			requests:   FunctionRequests(roleARN, publish, []string{topicARN}),
			wantReason: []string{"resource " + topicARN + " is not covered by Resource arn:aws:sns:us-east-1:123456789012:billing"},
		},
		{
			name: "a policy naming some topics, for calls whose topics are unknown, is unverified",
			policy: `{"Statement":[{"Sid":"Orders","Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},
				"Action":"sns:Publish","Resource":"` + topicARN + `"}]}`,
			requests:       FunctionRequests(roleARN, publish, nil),
			wantUnverified: true,
			wantReason:     []string{"assumed inside Resource " + topicARN},
		},
		{
			name: "a policy limited to an organisation no one named is unverified",
			policy: `{"Statement":[{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			requests:       FunctionRequests(roleARN, publish, nil),
			wantUnverified: true,
			wantReason:     []string{"organisation o-abc123"},
		},
		{
			name: "a policy limited to a source endpoint is unverified",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
				"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0123"}}}]}`,
			requests:       FunctionRequests(roleARN, publish, nil),
			wantUnverified: true,
			wantReason:     []string{"aws:SourceVpce"},
		},
		{
			name: "one admitted call is enough: the role may allow more than the code calls",
			policy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},
				"Action":"sns:Publish","Resource":"*"}]}`,
			requests:     FunctionRequests(roleARN, []string{"sns:ListTopics", "sns:Publish"}, nil),
			wantAdmitted: true,
		},
		{
			name: "a Deny on the role's calls refuses them",
			policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
				{"Sid":"NoPublish","Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`,
			requests:   FunctionRequests(roleARN, publish, []string{topicARN}),
			wantReason: []string{`explicitly denied by statement 2 (Sid "NoPublish")`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Admit(tt.policy, tt.requests)
			if err != nil {
				t.Fatal(err)
			}
			if got.Admitted != tt.wantAdmitted || got.Unverified != tt.wantUnverified {
				t.Fatalf("Admit = admitted %v unverified %v (%s), want admitted %v unverified %v",
					got.Admitted, got.Unverified, got.Reason, tt.wantAdmitted, tt.wantUnverified)
			}
			for _, want := range tt.wantReason {
				if !strings.Contains(got.Reason, want) {
					t.Errorf("reason %q does not contain %q", got.Reason, want)
				}
			}
		})
	}
}

func TestAdmitRejectsANonPolicy(t *testing.T) {
	if _, err := Admit("{not json", FunctionRequests(roleARN, []string{"sns:Publish"}, nil)); err == nil {
		t.Fatal("Admit accepted a document that is not a policy")
	}
}
