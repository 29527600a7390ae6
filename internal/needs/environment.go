package needs

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// arnServices maps the service of an ARN in an environment variable to the
// endpoint service the function calls with it.
var arnServices = map[string]string{
	"sns": "sns", "sqs": "sqs", "secretsmanager": "secretsmanager", "ssm": "ssm", "kms": "kms",
	"s3": "s3", "dynamodb": "dynamodb", "lambda": "lambda", "kinesis": "kinesis",
	"firehose": "firehose", "events": "events", "states": "states",
}

// hostServices are the endpoint services whose public hostname starts with
// their name (sqs.us-east-1.amazonaws.com, a queue URL's host, say).
var hostServices = []string{
	"sns", "sqs", "secretsmanager", "ssm", "kms", "dynamodb", "sts", "lambda", "kinesis",
	"firehose", "events", "states", "monitoring", "email", "rds-data",
}

var (
	arnPattern  = regexp.MustCompile(`arn:aws[a-z-]*:([a-z0-9-]+):[^\s,;"'<>]*`)
	hostPattern = regexp.MustCompile(`(?i)\b([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?)(?::(\d{1,5}))?`)
)

// fromValue reads one environment variable: the ARNs and AWS hostnames in
// its value.
func fromValue(name, value string) ([]found, []Database) {
	var out []found
	var dbs []Database
	add := func(service, detail string) {
		src := Source{Kind: FromEnvironment, Name: name, Detail: detail}
		if !slices.ContainsFunc(out, func(f found) bool { return f.service == service }) {
			out = append(out, found{service: service, source: src})
		}
	}
	for _, m := range arnPattern.FindAllStringSubmatch(value, -1) {
		if s, ok := arnServices[m[1]]; ok {
			add(s, m[0])
		}
	}
	for _, m := range hostPattern.FindAllStringSubmatch(value, -1) {
		host := strings.ToLower(m[1])
		port, _ := strconv.Atoi(m[2])
		if kind, ok := databaseKind(host); ok {
			dbs = append(dbs, Database{Kind: kind, Host: host, Port: port, Source: Source{Kind: FromEnvironment, Name: name, Detail: m[0]}})
			continue
		}
		if s, ok := serviceOfHost(host); ok {
			add(s, host)
		}
	}
	return out, dbs
}

// databaseKind recognises RDS and Aurora endpoints
// (ID.HASH.REGION.rds.amazonaws.com, ID.HASH.rds.REGION.amazonaws.com.cn,
// ID.cluster-HASH...) and ElastiCache ones (... .cache.amazonaws.com); the
// RDS API's own name (rds.REGION.amazonaws.com) is not a database.
func databaseKind(host string) (string, bool) {
	labels := strings.Split(host, ".")
	if len(labels) < 5 || strings.HasPrefix(labels[0], "vpce-") {
		return "", false
	}
	for _, l := range labels[1:] {
		switch l {
		case "rds":
			return RDS, true
		case "cache":
			return ElastiCache, true
		}
	}
	return "", false
}

// serviceOfHost recognises the public hostname of an AWS service; an
// endpoint-specific name (vpce-...) already leads into the VPC.
func serviceOfHost(host string) (string, bool) {
	labels := strings.Split(host, ".")
	if strings.HasPrefix(labels[0], "vpce-") {
		return "", false
	}
	for _, l := range labels[:len(labels)-2] {
		if l == "s3" || strings.HasPrefix(l, "s3-") {
			return "s3", true
		}
	}
	if len(labels) > 3 && labels[1] == "execute-api" {
		return "execute-api", true
	}
	if slices.Contains(hostServices, labels[0]) {
		return labels[0], true
	}
	return "", false
}

// hostSuffixes end the names of variables that hold a database hostname,
// whose port may sit in a sibling variable (DB_HOST and DB_PORT).
var hostSuffixes = []string{"HOSTNAME", "HOST", "ENDPOINT", "ADDRESS", "ADDR", "URL"}

// portFromSibling fills in the port of a database named without one from a
// sibling variable (DB_HOST -> DB_PORT).
func portFromSibling(d Database, env map[string]string) Database {
	if d.Port != 0 || d.Source.Kind != FromEnvironment {
		return d
	}
	upper := strings.ToUpper(d.Source.Name)
	for _, suffix := range hostSuffixes {
		prefix, ok := strings.CutSuffix(upper, suffix)
		if !ok {
			continue
		}
		for name, value := range env {
			if strings.ToUpper(name) == prefix+"PORT" {
				if p, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && p > 0 && p < 65536 {
					d.Port = p
				}
			}
		}
	}
	return d
}
