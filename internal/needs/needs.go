// Package needs infers what a VPC-attached function must reach from what
// can be read about it without running it: the actions its execution role
// allows, the ARNs and AWS hostnames in its environment variables, and the
// tags vpcmedic:needs and vpcmedic:ignore. Every requirement says where it
// came from. It is pure: adapters read the policies, variables and tags.
package needs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Tags a function's owner sets to correct the inference.
const (
	// TagNeeds adds services (separated by commas, spaces, "+" or "/").
	TagNeeds = "vpcmedic:needs"
	// TagIgnore removes services, database hostnames or database kinds
	// (rds, elasticache); "*" removes everything: the function calls
	// nothing vpcmedic should check.
	TagIgnore = "vpcmedic:ignore"
)

// Source kinds.
const (
	FromPolicy      = "policy"
	FromEnvironment = "environment"
	FromTag         = "tag"
	// FromPlatform: where the function runs requires it (Lambda Managed
	// Instances send logs and traces from the provider's VPC).
	FromPlatform = "platform"
)

// Evidence levels: how sure the inference is that the function's code
// calls a service.
const (
	// Declared: the owner named the service (the vpcmedic:needs tag), an
	// environment variable names one of its resources, or the role
	// grants its own actions. A missing path breaks the function.
	Declared = "declared"
	// Suggested: only a broad grant says so (a wildcard, or the side
	// grants of an AWS managed policy made for another service). A
	// missing path is worth a warning, not a page.
	Suggested = "suggested"
)

// Source is where a requirement was found.
type Source struct {
	Kind string
	// Name is the policy name (inline) or ARN (managed), the variable
	// name, or the tag key.
	Name string
	// Detail is the action, the value found, or the tag value.
	Detail string
	// Evidence is Declared or Suggested; empty means Declared.
	Evidence string
	// Note says why a grant is only a suggestion.
	Note string
}

// Suggests reports whether the source only suggests the need.
func (s Source) Suggests() bool { return s.Evidence == Suggested }

// String says where the requirement came from, for a person.
func (s Source) String() string {
	switch s.Kind {
	case FromPolicy:
		if s.Note != "" {
			return fmt.Sprintf("policy %s allows %s (%s)", s.Name, s.Detail, s.Note)
		}
		return fmt.Sprintf("policy %s allows %s", s.Name, s.Detail)
	case FromEnvironment:
		return fmt.Sprintf("environment variable %s names %s", s.Name, s.Detail)
	case FromPlatform:
		return s.Detail
	default:
		return fmt.Sprintf("tag %s=%s", s.Name, s.Detail)
	}
}

// Service is an AWS service the function must reach over HTTPS.
type Service struct {
	// Name is the endpoint service suffix (sns, s3, secretsmanager, ...).
	Name    string
	Sources []Source
	// Unread, when not empty, says what vpcmedic could not read of
	// Lambda's own use of the role that might explain the requirement.
	Unread string
}

// Why says, for a person, why the service is required.
func (s Service) Why() string { return why(s.Sources) }

// Evidence is the strongest evidence of the need: Declared when any
// source declares it.
func (s Service) Evidence() string {
	if slices.ContainsFunc(s.Sources, func(src Source) bool { return !src.Suggests() }) {
		return Declared
	}
	return Suggested
}

// Database kinds.
const (
	RDS         = "rds"
	ElastiCache = "elasticache"
)

// Database is a database endpoint inside a VPC the function connects to.
type Database struct {
	Kind string
	// Host is the endpoint hostname; Port is 0 when the value named none.
	Host   string
	Port   int
	Source Source
}

// Why says, for a person, why the database is required.
func (d Database) Why() string { return d.Source.String() }

// Policy is one policy document of the execution role.
type Policy struct {
	// Name is "inline policy NAME of role ROLE" or the managed policy's
	// ARN: whatever lets a person find it.
	Name     string
	Document string
}

// Input is what is known about the function.
type Input struct {
	Policies []Policy
	// PoliciesUnread, when not empty, says why the role's policies could
	// not be read.
	PoliciesUnread string
	Environment    map[string]string
	Tags           map[string]string
	// LambdaUse is what Lambda itself does with the role: the grants it
	// explains are no requirement.
	LambdaUse LambdaUse
	// ManagedInstances, when set, is a function on Lambda Managed
	// Instances: its telemetry leaves from its capacity provider's VPC.
	ManagedInstances *ManagedInstances
}

// Needs is the inference.
type Needs struct {
	Services  []Service
	Databases []Database
	// Ignored are the services and databases removed by vpcmedic:ignore.
	Ignored []string
	// None is set when vpcmedic:ignore removed everything: the owner
	// says there is nothing to check.
	None bool
	// Gaps say what could not be inferred from (an unreadable role, a
	// policy allowing every action, a document that is not JSON).
	Gaps []string
}

// Infer combines the three sources, then applies vpcmedic:ignore.
func Infer(in Input) Needs {
	var n Needs
	services := map[string][]Source{}
	add := func(service string, src Source) {
		if src.Evidence == "" {
			src.Evidence = Declared
		}
		if !slices.Contains(services[service], src) {
			services[service] = append(services[service], src)
		}
	}
	if in.PoliciesUnread != "" {
		n.Gaps = append(n.Gaps, "the execution role's policies could not be read: "+in.PoliciesUnread)
	}
	for _, p := range in.Policies {
		found, gaps := fromPolicy(p, in.LambdaUse)
		n.Gaps = append(n.Gaps, gaps...)
		for _, f := range found {
			add(f.service, f.source)
		}
	}
	for _, name := range sortedKeys(in.Environment) {
		found, dbs := fromValue(name, in.Environment[name])
		for _, f := range found {
			add(f.service, f.source)
		}
		for _, d := range dbs {
			n.Databases = append(n.Databases, portFromSibling(d, in.Environment))
		}
	}
	for _, f := range managedInstancesNeeds(in.ManagedInstances) {
		add(f.service, f.source)
	}
	if v, ok := in.Tags[TagNeeds]; ok {
		for _, s := range splitList(v) {
			add(s, Source{Kind: FromTag, Name: TagNeeds, Detail: v})
		}
	}
	for _, name := range sortedKeys(services) {
		n.Services = append(n.Services, Service{Name: name, Sources: services[name], Unread: unread(name, services[name], in.LambdaUse)})
	}
	n.Databases = dedupeDatabases(n.Databases)
	if v, ok := in.Tags[TagIgnore]; ok {
		n.ignore(splitList(v))
	}
	return n
}

// unread says what could not be read of Lambda's own use when it could
// explain a service the role grants.
func unread(service string, sources []Source, use LambdaUse) string {
	fromRole := slices.ContainsFunc(sources, func(s Source) bool { return s.Kind == FromPolicy })
	if len(use.Unread) == 0 || !fromRole || !LambdaMayUse(service) {
		return ""
	}
	return strings.Join(use.Unread, "; ")
}

func (n *Needs) ignore(names []string) {
	all := slices.Contains(names, "*")
	var services []Service
	for _, s := range n.Services {
		if all || slices.Contains(names, s.Name) {
			n.Ignored = append(n.Ignored, s.Name)
			continue
		}
		services = append(services, s)
	}
	var dbs []Database
	for _, d := range n.Databases {
		if all || slices.Contains(names, d.Host) || slices.Contains(names, d.Kind) {
			n.Ignored = append(n.Ignored, d.Host)
			continue
		}
		dbs = append(dbs, d)
	}
	n.Services, n.Databases = services, dbs
	n.None = all || len(n.Ignored) > 0 && len(services)+len(dbs) == 0
}

// splitList splits a tag value. Lambda tag values do not accept commas in
// every tool, so spaces, "+" and "/" separate as well.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool {
		return r == ',' || r == ' ' || r == '+' || r == '/' || r == ';'
	}) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func dedupeDatabases(dbs []Database) []Database {
	slices.SortStableFunc(dbs, func(a, b Database) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), cmp.Compare(b.Port, a.Port))
	})
	var out []Database
	for _, d := range dbs {
		i := slices.IndexFunc(out, func(o Database) bool { return o.Host == d.Host })
		switch {
		case i < 0:
			out = append(out, d)
		case out[i].Port == 0 && d.Port != 0:
			out[i] = d
		}
	}
	return out
}

func why(sources []Source) string {
	var parts []string
	for _, s := range sources {
		parts = append(parts, s.String())
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
