package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// stsRegionalEndpointsVar is the SDKs' setting for which STS endpoint they
// call: "regional" or "legacy" (AWS SDKs and Tools Reference Guide, "AWS
// STS Regional endpoints", docs.aws.amazon.com/sdkref/latest/guide/
// feature-sts-regionalized-endpoints.html).
const stsRegionalEndpointsVar = "AWS_STS_REGIONAL_ENDPOINTS"

// stsLegacyGlobalRegions are the Regions where the legacy setting sends
// STS calls to the global endpoint sts.amazonaws.com; in every other
// Region it already uses the Regional endpoint (same page).
var stsLegacyGlobalRegions = []string{
	"ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
	"eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// STS endpoint defaults of a runtime's bundled SDK.
const (
	stsDefaultRegional = "regional"
	stsDefaultLegacy   = "legacy"
)

// runtimeSTSDefault is the STS endpoint the SDK a Lambda runtime bundles
// calls by default, by runtime identifier prefix. A runtime not listed is
// unknown and never warned about: its code brings its own SDK, or the
// bundled version cannot be told from the function's configuration.
//
//   - nodejs18.x and later bundle the AWS SDK for JavaScript v3 (AWS
//     Developer Tools Blog, "Why and how you should use AWS SDK for
//     JavaScript (v3) on Node.js 18"), which always calls the Regional
//     endpoint of its configured Region and no longer reads the setting
//     (aws-sdk-js-codemod, v2-to-v3 transform "stsRegionalEndpoints"; AWS
//     Developer Tools Blog, "Updating AWS SDK defaults – AWS STS service
//     endpoint and Retry Strategy": the SDKs other than Python, PHP, C++,
//     .NET, PowerShell and CLI v1 already default to Regional).
//   - nodejs16.x and earlier bundle the AWS SDK for JavaScript v2 (AWS
//     re:Post knowledge center, "lambda-layer-aws-sdk-latest-version"),
//     whose default is legacy (the Reference Guide's earlier "Default
//     value: legacy", before SDK major versions after July 2022 moved to
//     regional).
//   - python3.x bundle boto3, which defaults to regional only from 1.40.0
//     (boto/boto3 issue 4583, July 2025); the version a runtime bundles
//     "depends on the runtime version and your AWS Region" (Lambda
//     Developer Guide, "Building Lambda functions with Python",
//     Runtime-included SDK versions): unknown.
//   - java, dotnet, ruby, go1.x and provided runtimes: the function's code
//     brings or pins its SDK (Go v2 and Java v2 default to regional, their
//     v1 to legacy): unknown.
var runtimeSTSDefault = []struct{ prefix, sdkDefault string }{
	{"nodejs18.", stsDefaultRegional}, {"nodejs2", stsDefaultRegional}, {"nodejs3", stsDefaultRegional},
	{"nodejs16.", stsDefaultLegacy}, {"nodejs14.", stsDefaultLegacy}, {"nodejs12.", stsDefaultLegacy},
	{"nodejs10.", stsDefaultLegacy},
}

func stsDefaultOf(runtime string) string {
	for _, r := range runtimeSTSDefault {
		if strings.HasPrefix(runtime, r.prefix) {
			return r.sdkDefault
		}
	}
	return ""
}

var stsGlobalEndpoint = Check{
	ID:    "VM122",
	Name:  "sts-global-endpoint",
	Title: "The function may call the global STS endpoint, which its VPC's STS endpoint does not serve",
	Impact: "The STS interface endpoint answers only the Regional name sts.<region>.amazonaws.com; a call to sts.amazonaws.com " +
		"leaves for the internet, which the function's subnets cannot reach, and times out.",
	Remediation: "Set the function's environment variable AWS_STS_REGIONAL_ENDPOINTS=regional (or configure its SDK with the Regional STS endpoint).",
	Severity:    report.SeverityWarning,
	Applies: func(t *Target) bool {
		return isFunction(t) && resolved(t) && slices.ContainsFunc(t.Requirements, func(r Requirement) bool { return r.Service == "sts" }) &&
			slices.Contains(stsLegacyGlobalRegions, t.Region)
	},
	Run: func(t *Target) []Result {
		cause := stsGlobalCause(t)
		var out []Result
		for _, sn := range t.Subnets() {
			p := t.ServicePath(sn.ID, "sts")
			if !p.OK || p.Via != reach.ViaEndpoint {
				continue // no endpoint path: service-path or the NAT path decides
			}
			if cause == "" {
				out = append(out, Result{Pass: true})
				continue
			}
			egress := reach.DefaultEgress(t.Network, sn.ID)
			if egress.Kind == reach.EgressOther || (egress.Kind == reach.EgressNAT && egress.Problem == "") {
				// The global name may still get out (a NAT gateway, or a
				// route vpcmedic cannot follow).
				out = append(out, Result{Pass: true})
				continue
			}
			out = append(out, Result{
				Message: fmt.Sprintf("%s in %s (subnet %s) reaches STS only through interface endpoint %s, whose private DNS serves sts.%s.amazonaws.com, not the global sts.amazonaws.com; %s, and the subnet has no NAT path for it",
					t.Describe(), sn.AvailabilityZone, sn.ID, endpointOf(p), t.Region, cause),
				AZ: sn.AvailabilityZone, Service: "sts",
				Resources: append([]string{sn.ID}, p.Evidence...),
			})
		}
		return out
	},
}

// stsGlobalCause says why the function's SDK may call the global endpoint,
// "" when nothing says it does.
func stsGlobalCause(t *Target) string {
	f := t.Workload.Function
	if f == nil {
		return ""
	}
	switch setting := strings.ToLower(strings.TrimSpace(f.Environment[stsRegionalEndpointsVar])); setting {
	case stsDefaultRegional:
		return ""
	case stsDefaultLegacy:
		return fmt.Sprintf("its environment sets %s=legacy, which sends STS calls in %s to the global endpoint", stsRegionalEndpointsVar, t.Region)
	}
	if stsDefaultOf(f.Runtime) == stsDefaultLegacy {
		return fmt.Sprintf("the SDK its runtime %s bundles calls the global endpoint in %s unless %s=regional is set", f.Runtime, t.Region, stsRegionalEndpointsVar)
	}
	return ""
}

// endpointOf names the interface endpoint a path goes through.
func endpointOf(p reach.ServicePath) string {
	for _, id := range p.Evidence {
		if strings.HasPrefix(id, "vpce-") {
			return id
		}
	}
	return "(unnamed)"
}
