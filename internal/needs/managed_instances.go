package needs

import "fmt"

// ManagedInstances is what is known of a function on Lambda Managed
// Instances that decides what its capacity provider's network must carry.
type ManagedInstances struct {
	CapacityProviderARN string
	// TracingActive is set when the function's tracing mode is Active.
	TracingActive bool
}

// managedInstancesGuide is where AWS documents the requirement.
const managedInstancesGuide = "AWS Lambda Developer Guide, Networking for Lambda Managed Instances (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-networking.html)"

// managedInstancesNeeds are the services a Lambda Managed Instances
// function needs whatever its code does. The guide: "The connectivity is
// also needed for transmitting telemetry data to CloudWatch Logs and
// X-Ray", from the capacity provider's VPC, unlike a function on Lambda's
// own fleet, whose logs Lambda ships itself. Traces are sent only in Active
// tracing mode.
func managedInstancesNeeds(m *ManagedInstances) []found {
	if m == nil {
		return nil
	}
	src := func(detail string) Source {
		return Source{Kind: FromPlatform, Name: m.CapacityProviderARN, Detail: detail, Evidence: Declared}
	}
	out := []found{{service: "logs", source: src(fmt.Sprintf(
		"the function runs on Lambda Managed Instances (capacity provider %s), whose instances send its logs to CloudWatch Logs from the provider's VPC (%s)", m.CapacityProviderARN, managedInstancesGuide))}}
	if m.TracingActive {
		out = append(out, found{service: "xray", source: src(fmt.Sprintf(
			"the function runs on Lambda Managed Instances (capacity provider %s) with Active tracing, and its instances send the traces to X-Ray from the provider's VPC (%s)", m.CapacityProviderARN, managedInstancesGuide))})
	}
	return out
}
