package endpointpolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// LambdaService is the service principal Lambda uses for its calls to STS and
// Lambda from an event source mapping's network.
const LambdaService = "lambda.amazonaws.com"

// The requests an on-demand Kafka event source mapping makes through the
// endpoints of its cluster's VPC.

// STSRequest is Lambda assuming the function's execution role.
func STSRequest() Request {
	return Request{Action: "sts:AssumeRole", Resource: "*", PrincipalService: LambdaService}
}

// LambdaRequest is Lambda invoking the function with a batch of records.
func LambdaRequest() Request {
	return Request{Action: "lambda:InvokeFunction", Resource: "*", PrincipalService: LambdaService}
}

// SecretsManagerRequest is the execution role reading the secret that
// authenticates the mapping to the brokers.
func SecretsManagerRequest(roleARN, secretARN string) Request {
	return Request{
		Action:           "secretsmanager:GetSecretValue",
		Resource:         secretARN,
		PrincipalARN:     roleARN,
		PrincipalAccount: arnAccount(roleARN),
	}
}

// builtPolicy and builtStatement fix the key order of the documents vpcmedic
// writes, so the same inputs always give the same bytes.
type builtPolicy struct {
	Version   string           `json:"Version"`
	Statement []builtStatement `json:"Statement"`
}

type builtStatement struct {
	Sid       string `json:"Sid"`
	Effect    string `json:"Effect"`
	Principal any    `json:"Principal"` // "*" or a builtPrincipal
	Action    string `json:"Action"`
	Resource  any    `json:"Resource"` // a string, or an array of several
	// Condition is kept in one fixed shape: operator, key, value.
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

type builtPrincipal struct {
	AWS     string `json:"AWS,omitempty"`
	Service string `json:"Service,omitempty"`
}

// STS is the least-privilege policy for an STS endpoint: Lambda may assume
// roles, nobody else may use the endpoint.
func STS() string {
	return render(builtStatement{
		Sid:       "AllowLambdaAssumeRole",
		Effect:    "Allow",
		Principal: builtPrincipal{Service: LambdaService},
		Action:    "sts:AssumeRole",
		Resource:  "*",
	})
}

// Lambda is the least-privilege policy for a Lambda endpoint: Lambda may
// invoke functions, nobody else may use the endpoint.
func Lambda() string {
	return render(builtStatement{
		Sid:       "AllowLambdaInvokeFunction",
		Effect:    "Allow",
		Principal: builtPrincipal{Service: LambdaService},
		Action:    "lambda:InvokeFunction",
		Resource:  "*",
	})
}

// SecretsManager is the least-privilege policy for a Secrets Manager
// endpoint: the function's execution role may read the given secrets. The
// secrets are sorted and deduplicated so the document is stable.
func SecretsManager(roleARN string, secretARNs []string) (string, error) {
	if !strings.HasPrefix(roleARN, "arn:") {
		return "", fmt.Errorf("execution role %q is not an ARN", roleARN)
	}
	secrets := slices.Clone(secretARNs)
	slices.Sort(secrets)
	secrets = slices.Compact(secrets)
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
	if len(secrets) == 0 {
		return "", errors.New("no secret ARN to allow")
	}
	var resource any = secrets
	if len(secrets) == 1 {
		resource = secrets[0]
	}
	return render(builtStatement{
		Sid:       "AllowExecutionRoleGetSecretValue",
		Effect:    "Allow",
		Principal: builtPrincipal{AWS: roleARN},
		Action:    "secretsmanager:GetSecretValue",
		Resource:  resource,
	}), nil
}

// AccountWide is the policy of an endpoint that takes its service's traffic
// for a whole VPC (private DNS): every principal of the account may make
// any call through it, as they could through a NAT gateway, so no client
// that reached the service another way is refused. lambdaAction, when set
// (sts:AssumeRole, lambda:InvokeFunction), also admits Lambda's own service
// principal, which carries no account: the pollers of an on-demand Kafka
// mapping call STS and Lambda as lambda.amazonaws.com.
func AccountWide(account, lambdaAction string) (string, error) {
	if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return "", fmt.Errorf("account %q is not a 12-digit account ID", account)
	}
	statements := []builtStatement{{
		Sid:       "AllowAccountPrincipals",
		Effect:    "Allow",
		Principal: "*",
		Action:    "*",
		Resource:  "*",
		Condition: map[string]map[string]string{"StringEquals": {"aws:PrincipalAccount": account}},
	}}
	if lambdaAction != "" {
		statements = append(statements, builtStatement{
			Sid:       "AllowLambdaService",
			Effect:    "Allow",
			Principal: builtPrincipal{Service: LambdaService},
			Action:    lambdaAction,
			Resource:  "*",
		})
	}
	return render(statements...), nil
}

// LambdaAction is what Lambda's own service principal calls through an
// endpoint of service (sts or lambda) for a Kafka mapping; empty for any
// other service.
func LambdaAction(service string) string {
	switch service {
	case "sts":
		return STSRequest().Action
	case "lambda":
		return LambdaRequest().Action
	}
	return ""
}

func render(statements ...builtStatement) string {
	doc, err := json.MarshalIndent(builtPolicy{Version: "2012-10-17", Statement: statements}, "", "  ")
	if err != nil {
		// Only strings and string slices are marshalled: this cannot fail.
		panic(fmt.Sprintf("marshal endpoint policy: %v", err))
	}
	return string(doc)
}
