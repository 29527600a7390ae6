package needs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// actionServices maps an IAM action prefix to the endpoint service
// (com.amazonaws.<region>.<service>) the function's calls go to. A prefix
// missing here, and not in lambdaOwnActions, yields no requirement.
var actionServices = map[string]string{
	"sns":            "sns",
	"sqs":            "sqs",
	"secretsmanager": "secretsmanager",
	"ssm":            "ssm",
	"kms":            "kms",
	"s3":             "s3",
	"dynamodb":       "dynamodb",
	"sts":            "sts",
	"lambda":         "lambda",
	"kinesis":        "kinesis",
	"firehose":       "firehose",
	"events":         "events",
	"states":         "states",
	"cloudwatch":     "monitoring",
	"ses":            "email",
	"execute-api":    "execute-api",
	"rds-data":       "rds-data",
	"ec2":            "ec2",
}

// lambdaOwnPrefixes are services Lambda calls itself on the function's
// behalf, outside the VPC: CloudWatch Logs (the function's log group), X-Ray
// (traces leave through the runtime) and the Kafka event pollers (kafka,
// kafka-cluster). They need no path from the function's subnets.
var lambdaOwnPrefixes = []string{"logs", "xray", "kafka", "kafka-cluster"}

// lambdaOwnActions are EC2 actions Lambda uses to manage the function's
// network interfaces (AWSLambdaVPCAccessExecutionRole): no path needed.
var lambdaOwnActions = []string{
	"ec2:createnetworkinterface", "ec2:describenetworkinterfaces", "ec2:deletenetworkinterface",
	"ec2:describesubnets", "ec2:assignprivateipaddresses", "ec2:unassignprivateipaddresses",
	"ec2:describesecuritygroups", "ec2:describevpcs",
}

// lambdaOwnPolicies are AWS managed policies that grant only what Lambda
// itself uses (logs, network interfaces, event source pollers, X-Ray):
// their actions say nothing about what the function's code calls.
var lambdaOwnPolicies = []string{
	"service-role/AWSLambdaBasicExecutionRole", "service-role/AWSLambdaVPCAccessExecutionRole",
	"service-role/AWSLambdaENIManagementAccess", "service-role/AWSLambdaMSKExecutionRole",
	"service-role/AWSLambdaSQSQueueExecutionRole", "service-role/AWSLambdaKinesisExecutionRole",
	"service-role/AWSLambdaDynamoDBExecutionRole", "AWSXRayDaemonWriteAccess", "AWSXrayWriteOnlyAccess",
}

// ServiceOfAction returns the endpoint service an IAM action calls, and
// false for actions that need no path from the VPC or are unknown.
func ServiceOfAction(action string) (string, bool) {
	prefix, _, ok := strings.Cut(strings.ToLower(action), ":")
	if !ok || slices.Contains(lambdaOwnPrefixes, prefix) || slices.Contains(lambdaOwnActions, strings.ToLower(action)) {
		return "", false
	}
	s, ok := actionServices[prefix]
	return s, ok
}

// LambdaOwnPolicy reports whether a managed policy ARN is one that grants
// only what Lambda itself uses.
func LambdaOwnPolicy(policyARN string) bool {
	_, name, ok := strings.Cut(policyARN, ":iam::aws:policy/")
	return ok && slices.Contains(lambdaOwnPolicies, name)
}

type found struct {
	service string
	source  Source
}

// grant is one service a policy's statements allow, at one evidence level.
type grant struct {
	service, evidence, note string
}

// fromPolicy returns the services a policy's Allow statements name, one
// source per service and evidence level listing its actions, and what could
// not be read. What Lambda itself does with the role (use) is left out.
func fromPolicy(p Policy, use LambdaUse) ([]found, []string) {
	if LambdaOwnPolicy(p.Name) {
		return nil, nil
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
		return nil, []string{fmt.Sprintf("policy %s is not JSON: %v", p.Name, err)}
	}
	var statements []statement
	if err := oneOrMany(doc.Statement, &statements); err != nil {
		return nil, []string{fmt.Sprintf("the statements of policy %s cannot be read: %v", p.Name, err)}
	}
	managed, isManaged := awsManagedPolicy(p.Name)
	own := managedOwnService[managed]
	var gaps []string
	var order []grant
	actions := map[grant][]string{}
	add := func(g grant, action string) {
		if _, seen := actions[g]; !seen {
			order = append(order, g)
		}
		if !slices.Contains(actions[g], action) {
			actions[g] = append(actions[g], action)
		}
	}
	for _, st := range statements {
		if st.Effect != "Allow" {
			continue
		}
		if len(st.NotAction) > 0 {
			gaps = append(gaps, fmt.Sprintf("policy %s allows every action but %s (NotAction): the services it covers are not inferred", p.Name, strings.Join(st.NotAction, ", ")))
		}
		for _, a := range st.Action {
			prefix, _, _ := strings.Cut(strings.ToLower(a), ":")
			if strings.Contains(prefix, "*") {
				services := wildcardServices(prefix, st.Resource)
				if len(services) == 0 {
					gaps = append(gaps, fmt.Sprintf("policy %s allows %q: the services the function calls cannot be inferred from it", p.Name, a))
				}
				for _, s := range services {
					add(grant{service: s, evidence: Suggested, note: "a wildcard grant"}, a)
				}
				continue
			}
			service, ok := ServiceOfAction(a)
			if !ok {
				continue
			}
			g := grant{service: service, evidence: Declared}
			switch kind, what := use.lambdaOwn(a, st.Resource); {
			case kind == ownAll:
				continue
			case kind == ownSome:
				g.evidence, g.note = Suggested, "on more than what Lambda itself uses it for: "+what
			case isManaged && service != own:
				g.evidence, g.note = Suggested, "an AWS managed policy "+madeFor(own)
			}
			add(g, a)
		}
	}
	var out []found
	for _, g := range order {
		out = append(out, found{service: g.service, source: Source{
			Kind: FromPolicy, Name: p.Name, Detail: summarise(actions[g]), Evidence: g.evidence, Note: g.note,
		}})
	}
	return out, gaps
}

// madeFor says what service a managed policy is made for.
func madeFor(own string) string {
	if own == "" {
		return "not made for one service"
	}
	return "made for " + own + ": the other services serve its console features"
}

// wildcardServices returns the services an action whose prefix has a
// wildcard allows. "*" alone allows every service: only the services of
// the resources the statement names are suggested, and none on "*". A
// narrower pattern (s3*, dynamo*) suggests each service it matches.
func wildcardServices(prefix string, resources []string) []string {
	var out []string
	if prefix == "*" {
		for _, r := range resources {
			if s, ok := actionServices[serviceOfARN(r)]; ok && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	for _, p := range sortedKeys(actionServices) {
		if actionMatches(prefix, p) && !slices.Contains(out, actionServices[p]) {
			out = append(out, actionServices[p])
		}
	}
	return out
}

// summarise lists the first actions and counts the rest.
func summarise(actions []string) string {
	const shown = 3
	if len(actions) <= shown {
		return strings.Join(actions, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(actions[:shown], ", "), len(actions)-shown)
}

// statement is the part of a policy statement the inference reads.
type statement struct {
	Effect    string
	Action    stringList
	NotAction stringList
	Resource  stringList
}

// stringList is a policy field that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// oneOrMany reads a Statement that is an object or a list of objects.
func oneOrMany(raw json.RawMessage, into *[]statement) error {
	if len(raw) == 0 {
		return nil
	}
	var one statement
	if err := json.Unmarshal(raw, &one); err == nil {
		*into = []statement{one}
		return nil
	}
	return json.Unmarshal(raw, into)
}
