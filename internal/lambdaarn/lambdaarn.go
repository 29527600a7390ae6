// Package lambdaarn names Lambda functions the way vpcmedic identifies
// them: by their unqualified ARN, whatever form an event or an API gives
// (name, partial ARN, ARN with a version or alias).
package lambdaarn

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Unqualified turns a function name, partial ARN or (qualified) ARN into
// the unqualified function ARN. A bare name needs the account and Region;
// without them it is returned as it is.
func Unqualified(nameOrARN, account, region string) string {
	if a, err := arn.Parse(nameOrARN); err == nil {
		// The resource is function:NAME[:QUALIFIER].
		parts := strings.Split(a.Resource, ":")
		if len(parts) >= 2 && parts[0] == "function" {
			a.Resource = "function:" + parts[1]
		}
		return a.String()
	}
	// A partial ARN "ACCOUNT:function:NAME[:QUALIFIER]" or a bare name.
	parts := strings.Split(nameOrARN, ":")
	name := parts[0]
	if len(parts) >= 3 && parts[1] == "function" {
		account, name = parts[0], parts[2]
	}
	if account == "" || region == "" {
		return nameOrARN
	}
	return arn.ARN{Partition: Partition(region), Service: "lambda", Region: region, AccountID: account, Resource: "function:" + name}.String()
}

// Name returns the function name of a function ARN.
func Name(fnARN string) string {
	if a, err := arn.Parse(fnARN); err == nil {
		name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "function:"), ":")
		return name
	}
	return fnARN
}

// Partition is the AWS partition of a Region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	default:
		return "aws"
	}
}
