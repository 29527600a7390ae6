package trail

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Lambda API names (event names without their version suffix).
const (
	ActionCreateEventSourceMapping    = "CreateEventSourceMapping"
	ActionUpdateEventSourceMapping    = "UpdateEventSourceMapping"
	ActionDeleteEventSourceMapping    = "DeleteEventSourceMapping"
	ActionCreateFunction              = "CreateFunction"
	ActionUpdateFunctionConfiguration = "UpdateFunctionConfiguration"
)

var lambdaParsers = map[string]func(*Trigger, node, node) error{
	ActionCreateEventSourceMapping:    parseESM,
	ActionUpdateEventSourceMapping:    parseESM,
	ActionDeleteEventSourceMapping:    parseESM,
	ActionCreateFunction:              parseFunction,
	ActionUpdateFunctionConfiguration: parseFunction,
}

func parseESM(t *Trigger, req, resp node) error {
	// The response is the mapping as Lambda stored it; the request only what
	// the caller sent. Prefer the response, fall back to the request.
	pick := func(key string) node {
		if v := resp.get(key); v.exists() {
			return v
		}
		return req.get(key)
	}
	e := &ESMChange{
		UUID:           pick("uUID").str(),
		EventSourceARN: pick("eventSourceArn").str(),
		State:          resp.get("state").str(),
		Topics:         pick("topics").strs(),
	}
	if fn := resp.get("functionArn").str(); fn != "" {
		e.FunctionARN = unqualifiedFunctionARN(fn, t.Account, t.Region)
	} else if fn := req.get("functionName").str(); fn != "" {
		e.FunctionARN = unqualifiedFunctionARN(fn, t.Account, t.Region)
	}
	if p := pick("provisionedPollerConfig"); p.isObject() {
		pc := &PollerConfig{}
		pc.Minimum, _ = p.get("minimumPollers").integer()
		pc.Maximum, _ = p.get("maximumPollers").integer()
		e.Provisioned = pc
	}
	for _, sa := range pick("sourceAccessConfigurations").list() {
		e.SourceAccess = append(e.SourceAccess, SourceAccess{Type: sa.get("type").str(), URI: sa.get("uRI").str()})
	}
	servers := pick("selfManagedEventSource").path("endpoints", "KAFKA_BOOTSTRAP_SERVERS")
	for _, s := range servers.strs() {
		// The API takes a list; people also pass one comma-separated string.
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				e.BootstrapServers = append(e.BootstrapServers, part)
			}
		}
	}
	if e.UUID == "" && t.ErrorCode == "" {
		return missing("uUID (in request or response)")
	}
	t.ESM = e
	t.add(KindEventSourceMapping, e.UUID)
	t.add(KindFunction, e.FunctionARN)
	t.add(KindEventSource, e.EventSourceARN)
	for _, sa := range e.SourceAccess {
		switch sa.Type {
		case "VPC_SUBNET":
			t.add(KindSubnet, strings.TrimPrefix(sa.URI, "subnet:"))
		case "VPC_SECURITY_GROUP":
			t.add(KindSecurityGroup, strings.TrimPrefix(sa.URI, "security_group:"))
		}
	}
	return nil
}

func parseFunction(t *Trigger, req, resp node) error {
	name := resp.get("functionName").str()
	if name == "" {
		name = req.get("functionName").str()
	}
	if name == "" {
		return missing("functionName")
	}
	f := &FunctionChange{ARN: unqualifiedFunctionARN(name, t.Account, t.Region)}
	if fnARN := resp.get("functionArn").str(); fnARN != "" {
		f.ARN = unqualifiedFunctionARN(fnARN, t.Account, t.Region)
	}
	f.Name = functionName(f.ARN)
	// The request says whether the VPC config changed: absent means
	// unchanged, empty lists mean detached. The response adds the VPC ID.
	if vc := req.get("vpcConfig"); vc.exists() {
		cfg := &VPCConfig{
			SubnetIDs:        vc.get("subnetIds").strs(),
			SecurityGroupIDs: vc.get("securityGroupIds").strs(),
		}
		cfg.IPv6AllowedForDualStack, _ = vc.get("ipv6AllowedForDualStack").boolean()
		cfg.VPCID = resp.path("vpcConfig", "vpcId").str()
		f.VPCConfig = cfg
		t.VPCID = cfg.VPCID
		t.add(KindSubnet, cfg.SubnetIDs...)
		t.add(KindSecurityGroup, cfg.SecurityGroupIDs...)
	}
	t.Function = f
	t.add(KindFunction, f.ARN)
	return nil
}

// unqualifiedFunctionARN turns a function name, partial ARN or (qualified)
// ARN into the unqualified function ARN that identifies the function.
func unqualifiedFunctionARN(nameOrARN, account, region string) string {
	if a, err := arn.Parse(nameOrARN); err == nil {
		// resource is function:NAME[:QUALIFIER]
		parts := strings.Split(a.Resource, ":")
		if len(parts) >= 2 && parts[0] == "function" {
			a.Resource = "function:" + parts[1]
		}
		return a.String()
	}
	// Partial ARN "ACCOUNT:function:NAME[:QUALIFIER]" or a bare name.
	parts := strings.Split(nameOrARN, ":")
	name := parts[0]
	if len(parts) >= 3 && parts[1] == "function" {
		account, name = parts[0], parts[2]
	}
	if account == "" || region == "" {
		return nameOrARN
	}
	return arn.ARN{Partition: partitionOf(region), Service: "lambda", Region: region, AccountID: account, Resource: "function:" + name}.String()
}

func functionName(fnARN string) string {
	if a, err := arn.Parse(fnARN); err == nil {
		return strings.TrimPrefix(a.Resource, "function:")
	}
	return fnARN
}

func partitionOf(region string) string {
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
