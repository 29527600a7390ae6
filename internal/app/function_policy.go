package app

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/endpointpolicy"
	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// typicalCalls are the calls assumed of a function when nothing says which
// actions it uses of a service (a requirement from its environment or
// tags, a role allowing "sns:*"). A refusal of a guessed call is never
// reported as a break: the function may make other calls.
var typicalCalls = map[string]string{
	"sns": "sns:Publish", "sqs": "sqs:SendMessage", "secretsmanager": "secretsmanager:GetSecretValue",
	"ssm": "ssm:GetParameter", "kms": "kms:Decrypt", "s3": "s3:GetObject", "dynamodb": "dynamodb:GetItem",
	"sts": "sts:AssumeRole", "lambda": "lambda:InvokeFunction", "kinesis": "kinesis:PutRecord",
	"firehose": "firehose:PutRecordBatch", "events": "events:PutEvents", "states": "states:StartExecution",
	"monitoring": "cloudwatch:PutMetricData", "email": "ses:SendEmail", "execute-api": "execute-api:Invoke",
	"rds-data": "rds-data:ExecuteStatement", "ec2": "ec2:DescribeInstances",
}

// functionCalls is what a function sends to one service: the actions its
// role allows (read from the requirement's policy sources), the ARNs its
// environment names for the service, and whether the actions are guessed.
type functionCalls struct {
	actions, resources []string
	guessed            bool
}

func callsOf(s needs.Service) functionCalls {
	var c functionCalls
	for _, src := range s.Sources {
		switch src.Kind {
		case needs.FromPolicy:
			actions, complete := policyActions(src.Detail)
			c.actions = append(c.actions, actions...)
			c.guessed = c.guessed || !complete
		case needs.FromEnvironment:
			if strings.HasPrefix(src.Detail, "arn:") {
				c.resources = append(c.resources, src.Detail)
			}
		}
	}
	if len(c.actions) == 0 {
		c.guessed = true
		if a, ok := typicalCalls[s.Name]; ok {
			c.actions = []string{a}
		}
	}
	return c
}

// policyActions reads the actions a policy source lists ("a, b, c and 2
// more"); complete is false when some are not named or use a wildcard.
func policyActions(detail string) (actions []string, complete bool) {
	complete = true
	if head, _, cut := strings.Cut(detail, " and "); cut {
		detail, complete = head, false
	}
	for _, a := range strings.Split(detail, ",") {
		a = strings.TrimSpace(a)
		if a == "" || strings.ContainsAny(a, "*?") {
			complete = false
			continue
		}
		actions = append(actions, a)
	}
	return actions, complete
}

// functionEndpointPolicy judges an endpoint's policy by the calls a VPC
// function's code makes with its execution role: the policy breaks the
// service when it admits none of them, and leaves the path unverified when
// it admits them only on what vpcmedic cannot evaluate (a condition key, a
// resource it does not know) or when the calls were guessed.
func functionEndpointPolicy(w *workload.Workload, services []needs.Service) (
	policy func(service string, e network.Endpoint) (bool, string),
	unverified func(service string, e network.Endpoint) string,
) {
	calls := map[string]functionCalls{}
	for _, s := range services {
		calls[s.Name] = callsOf(s)
	}
	admit := func(service string, e network.Endpoint) (endpointpolicy.Admission, functionCalls, error) {
		c, ok := calls[service]
		if !ok || len(c.actions) == 0 || w.ExecutionRoleARN == "" {
			// Still read the document: one that is not a policy is refused.
			c = functionCalls{actions: []string{service + ":*"}, guessed: true}
		}
		a, err := endpointpolicy.Admit(e.Policy, endpointpolicy.FunctionRequests(w.ExecutionRoleARN, c.actions, c.resources))
		return a, c, err
	}
	policy = func(service string, e network.Endpoint) (bool, string) {
		a, c, err := admit(service, e)
		switch {
		case err != nil:
			return false, err.Error()
		case a.Admitted || a.Unverified || c.guessed:
			return true, ""
		}
		return false, a.Reason
	}
	unverified = func(service string, e network.Endpoint) string {
		a, c, err := admit(service, e)
		switch {
		case err != nil || a.Admitted:
			return ""
		case a.Unverified:
			return a.Reason
		case c.guessed && len(c.actions) > 0:
			return fmt.Sprintf("it admits none of the calls assumed of the function (which actions its code uses is not known): %s", a.Reason)
		}
		return ""
	}
	return policy, unverified
}
