package trail

import (
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/lambdaarn"
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

// LambdaActions lists the Lambda API names vpcmedic handles (event names
// carry an API version suffix on top).
func LambdaActions() []string { return keys(lambdaParsers) }

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
		e.FunctionARN = lambdaarn.Unqualified(fn, t.Account, t.Region)
	} else if fn := req.get("functionName").str(); fn != "" {
		e.FunctionARN = lambdaarn.Unqualified(fn, t.Account, t.Region)
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
	f := &FunctionChange{ARN: lambdaarn.Unqualified(name, t.Account, t.Region)}
	if fnARN := resp.get("functionArn").str(); fnARN != "" {
		f.ARN = lambdaarn.Unqualified(fnARN, t.Account, t.Region)
	}
	f.Name = lambdaarn.Name(f.ARN)
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
