package needs

import (
	"path"
	"slices"
	"strings"
)

// LambdaUse is what Lambda itself does with the function's execution role,
// outside the function's VPC: its event source pollers read the sources
// that invoke the function, it delivers asynchronous results to the
// destinations and the dead-letter target, reads the secrets of the
// mappings and decrypts the environment with the function's key. None of
// it needs a path from the function's subnets.
type LambdaUse struct {
	// EventSources are the ARNs of the sources whose mappings invoke the
	// function (an SQS queue, a Kinesis or DynamoDB stream, ...).
	EventSources []string
	// Targets are ARNs Lambda calls with the role on the function's
	// behalf: asynchronous destinations, the dead-letter queue or topic,
	// the mappings' secrets and failure destinations.
	Targets []string
	// KMSKeyARN is the key that encrypts the function's environment.
	KMSKeyARN string
	// Unread say what could not be read (a refusal): requirements it
	// could explain stay, and say so.
	Unread []string
}

// pollerActions are the actions Lambda's pollers call for an event source
// of each service: the actions of the AWS managed policies
// AWSLambdaSQSQueueExecutionRole, AWSLambdaKinesisExecutionRole and
// AWSLambdaDynamoDBExecutionRole, and the batch and visibility actions of
// SAM's SQSPollerPolicy template.
var pollerActions = map[string][]string{
	"sqs": {"sqs:receivemessage", "sqs:deletemessage", "sqs:deletemessagebatch", "sqs:getqueueattributes",
		"sqs:changemessagevisibility", "sqs:changemessagevisibilitybatch"},
	"kinesis":  {"kinesis:describestream", "kinesis:describestreamsummary", "kinesis:getrecords", "kinesis:getsharditerator", "kinesis:listshards", "kinesis:liststreams", "kinesis:subscribetoshard"},
	"dynamodb": {"dynamodb:describestream", "dynamodb:getrecords", "dynamodb:getsharditerator", "dynamodb:liststreams"},
}

// targetActions are the actions Lambda calls on a target of each service:
// delivering to a destination or dead-letter target, reading a secret,
// decrypting with a key.
var targetActions = map[string][]string{
	"sqs":            {"sqs:sendmessage"},
	"sns":            {"sns:publish"},
	"lambda":         {"lambda:invokefunction"},
	"events":         {"events:putevents"},
	"s3":             {"s3:putobject", "s3:listbucket"},
	"secretsmanager": {"secretsmanager:getsecretvalue"},
	"kms":            {"kms:decrypt"},
}

// eniWildcards are the EC2 network-interface actions a wildcard is tested
// against: a pattern such as ec2:Describe* that covers one of them but not
// every EC2 action reads as the grant Lambda needs for the function's
// network interfaces.
var eniWildcards = []string{"ec2:createnetworkinterface", "ec2:describenetworkinterfaces", "ec2:deletenetworkinterface", "ec2:describesubnets", "ec2:describevpcs", "ec2:describesecuritygroups"}

// ownUse says how an allowed action relates to what Lambda itself does:
// ownAll when every resource the statement names is Lambda's own use,
// ownSome when the action is one Lambda uses but the statement also
// covers other resources (a "*"), ownNone otherwise.
type ownUse int

const (
	ownNone ownUse = iota
	ownSome
	ownAll
)

// lambdaOwn classifies one allowed action of a statement whose resources
// are given, and names the use for a person.
func (u LambdaUse) lambdaOwn(action string, resources []string) (ownUse, string) {
	a := strings.ToLower(action)
	prefix, name, _ := strings.Cut(a, ":")
	if prefix == "ec2" && strings.Contains(name, "*") && name != "*" &&
		slices.ContainsFunc(eniWildcards, func(eni string) bool { return actionMatches(a, eni) }) {
		return ownAll, "the function's network interfaces"
	}
	if a == "ec2:*" {
		// It covers the network-interface actions Lambda needs, and
		// every other EC2 action too.
		return ownSome, "the function's network interfaces"
	}
	var best ownUse
	var use string
	try := func(actions []string, arns []string, what string) {
		if len(arns) == 0 || !slices.ContainsFunc(actions, func(x string) bool { return actionMatches(a, x) }) {
			return
		}
		switch {
		case coveredBy(resources, arns):
			best, use = ownAll, what
		case overlaps(resources, arns) && best < ownSome:
			best, use = ownSome, what
		}
	}
	for service, actions := range pollerActions {
		arns := arnsOf(u.EventSources, service)
		try(actions, arns, "the poller of the event source "+strings.Join(arns, ", "))
		// A poller permission on any resource is the poller's when the
		// function has a mapping of that service: the managed
		// policies grant them on "*".
		if len(arns) > 0 && !strings.Contains(name, "*") && slices.Contains(actions, a) {
			best, use = ownAll, "the poller of the event source "+strings.Join(arns, ", ")
		}
	}
	for service, actions := range targetActions {
		targets := u.Targets
		if u.KMSKeyARN != "" {
			targets = append(slices.Clone(targets), u.KMSKeyARN)
		}
		arns := arnsOf(targets, service)
		try(actions, arns, "its calls to "+strings.Join(arns, ", "))
	}
	return best, use
}

// LambdaMayUse reports whether Lambda itself may call a service with the
// role (a poller, a destination, a secret, a key): a grant of it is worth
// reading the function's mappings and destinations for.
func LambdaMayUse(service string) bool {
	_, polled := pollerActions[service]
	_, targeted := targetActions[service]
	return polled || targeted
}

// arnsOf returns the ARNs of one service.
func arnsOf(arns []string, service string) []string {
	var out []string
	for _, a := range arns {
		if serviceOfARN(a) == service {
			out = append(out, a)
		}
	}
	return out
}

// serviceOfARN is the endpoint service of an ARN (a DynamoDB stream's is
// dynamodb).
func serviceOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 || !strings.HasPrefix(parts[0], "arn") {
		return ""
	}
	return parts[2]
}

// coveredBy reports whether every resource of a statement is one of the
// given ARNs: a wildcard pattern covers more than Lambda's use.
func coveredBy(resources, arns []string) bool {
	if len(resources) == 0 {
		return false
	}
	for _, r := range resources {
		if !slices.Contains(arns, r) {
			return false
		}
	}
	return true
}

// overlaps reports whether a statement's resources include one of the
// given ARNs, through "*" or another wildcard.
func overlaps(resources, arns []string) bool {
	return slices.ContainsFunc(resources, func(r string) bool {
		return slices.ContainsFunc(arns, func(a string) bool { return arnMatches(r, a) })
	})
}

// arnMatches applies IAM's wildcards (* and ?) of a resource pattern to an
// ARN. path.Match's * stops at "/", IAM's does not, so "/" is neutralised.
func arnMatches(pattern, arn string) bool {
	if pattern == arn {
		return true
	}
	const slash = "\x00"
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(arn, "/", slash))
	return err == nil && ok
}

// actionMatches applies IAM's wildcards of an action pattern to an action
// (both lower case).
func actionMatches(pattern, action string) bool {
	ok, err := path.Match(pattern, action)
	return err == nil && ok
}
