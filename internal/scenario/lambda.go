package scenario

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// lambdaTrustPolicy lets Lambda assume an execution role.
const lambdaTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// Role is an IAM execution role for Lambda.
type Role struct {
	Name              string
	ARN               string
	ManagedPolicyARNs []string
	// InlinePolicies maps inline policy names to their documents.
	InlinePolicies map[string]string
}

// Policy is a policy to give a role: ManagedPolicy or Inline.
type Policy struct {
	managedARN string
	document   string
}

// ManagedPolicy attaches an AWS managed policy, by name (the Lambda
// service-role policies such as AWSLambdaMSKExecutionRole are found under
// their service-role/ path) or by full ARN. On moto, AWS managed policies
// exist only when it runs with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
func ManagedPolicy(nameOrARN string) Policy {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return Policy{managedARN: nameOrARN}
	}
	path := ""
	if strings.HasPrefix(nameOrARN, "AWSLambda") {
		path = "service-role/"
	}
	return Policy{managedARN: "arn:aws:iam::aws:policy/" + path + nameOrARN}
}

// Inline puts a policy document (JSON) on the role.
func Inline(document string) Policy {
	return Policy{document: document}
}

// Role creates an execution role Lambda can assume, with the given policies.
// Inline policies are named <role>-inline-1, <role>-inline-2, ….
func (s *Scenario) Role(name string, policies ...Policy) *Role {
	r := &Role{Name: name, InlinePolicies: map[string]string{}}
	s.do("create iam role "+name, func(ctx context.Context) error {
		var tags []iamtypes.Tag
		all := s.tagsWith(name)
		for _, k := range slices.Sorted(maps.Keys(all)) {
			tags = append(tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(all[k])})
		}
		out, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(name),
			AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
			Tags:                     tags,
		})
		if err != nil {
			return err
		}
		r.ARN = aws.ToString(out.Role.Arn)
		return nil
	})
	inline := 0
	for _, p := range policies {
		if p.managedARN != "" {
			s.do(fmt.Sprintf("attach %s to role %s", p.managedARN, name), func(ctx context.Context) error {
				_, err := s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
					RoleName:  aws.String(name),
					PolicyArn: aws.String(p.managedARN),
				})
				if err != nil {
					return err
				}
				r.ManagedPolicyARNs = append(r.ManagedPolicyARNs, p.managedARN)
				return nil
			})
			continue
		}
		inline++
		policyName := fmt.Sprintf("%s-inline-%d", name, inline)
		s.do(fmt.Sprintf("put policy %s on role %s", policyName, name), func(ctx context.Context) error {
			_, err := s.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
				RoleName:       aws.String(name),
				PolicyName:     aws.String(policyName),
				PolicyDocument: aws.String(p.document),
			})
			if err != nil {
				return err
			}
			r.InlinePolicies[policyName] = p.document
			return nil
		})
	}
	return r
}

// Function is a Lambda function created by a Scenario.
type Function struct {
	s *Scenario

	Name      string
	ARN       string
	RoleARN   string
	SubnetIDs []string // empty unless created InVPC
	SGIDs     []string
	Env       map[string]string
	// Runtime is the function's runtime; empty means provided.al2023.
	Runtime lambdatypes.Runtime
	// CapacityProviderARN is set for a function on Lambda Managed
	// Instances (OnCapacityProvider); TracingMode by WithTracing.
	CapacityProviderARN string
	TracingMode         lambdatypes.TracingMode
}

// FunctionOption changes how a function is created.
type FunctionOption func(*Function)

// InVPC attaches the function to subnets with security groups.
func InVPC(subnets Subnets, sgs ...*SG) FunctionOption {
	return func(f *Function) {
		f.SubnetIDs = subnets.IDs()
		f.SGIDs = sgIDs(sgs...)
	}
}

// WithRuntime creates the function with a runtime other than
// provided.al2023 (python3.13, nodejs22.x, ...).
func WithRuntime(r lambdatypes.Runtime) FunctionOption {
	return func(f *Function) { f.Runtime = r }
}

// Env sets an environment variable of the function.
func Env(key, value string) FunctionOption {
	return func(f *Function) { f.Env[key] = value }
}

// Function creates a function (provided.al2023, arm64) whose code is a
// placeholder: scenario functions exist to be inspected, not invoked.
func (s *Scenario) Function(name string, role *Role, opts ...FunctionOption) *Function {
	f := &Function{s: s, Name: name, RoleARN: role.ARN, Env: map[string]string{}}
	for _, opt := range opts {
		opt(f)
	}
	s.do("create function "+name, func(ctx context.Context) error {
		code, err := functionZip()
		if err != nil {
			return err
		}
		in := &lambda.CreateFunctionInput{
			FunctionName:  aws.String(name),
			Role:          aws.String(role.ARN),
			Runtime:       cmp.Or(f.Runtime, lambdatypes.RuntimeProvidedal2023),
			Handler:       aws.String("bootstrap"),
			Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureArm64},
			Code:          &lambdatypes.FunctionCode{ZipFile: code},
			Tags:          s.tagsWith(name),
		}
		if len(f.Env) > 0 {
			in.Environment = &lambdatypes.Environment{Variables: maps.Clone(f.Env)}
		}
		if len(f.SubnetIDs) > 0 {
			in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: f.SubnetIDs, SecurityGroupIds: f.SGIDs}
		}
		f.managedInstancesInput(in)
		out, err := s.lambda.CreateFunction(ctx, in)
		if err != nil {
			return err
		}
		f.ARN = aws.ToString(out.FunctionArn)
		return nil
	})
	return f
}

// Tag adds a tag to the function, e.g. one that declares the services its
// code calls.
func (f *Function) Tag(key, value string) *Function {
	f.s.do(fmt.Sprintf("tag function %s with %s=%s", f.Name, key, value), func(ctx context.Context) error {
		_, err := f.s.lambda.TagResource(ctx, &lambda.TagResourceInput{
			Resource: aws.String(f.ARN),
			Tags:     map[string]string{key: value},
		})
		return err
	})
	return f
}

// ESM is a Kafka event source mapping created by a Scenario.
type ESM struct {
	UUID        string
	FunctionARN string
	// EventSourceARN is the MSK cluster ARN; empty for self-managed Kafka.
	EventSourceARN string
	// Brokers are the bootstrap servers of self-managed Kafka.
	Brokers []string
	Topic   string
	// Provisioned is true when the ESM has a ProvisionedPollerConfig; false
	// means on-demand mode.
	Provisioned bool
	MinPollers  int32
	MaxPollers  int32
	// SourceAccess holds the SourceAccessConfigurations sent, by type
	// (VPC_SUBNET, VPC_SECURITY_GROUP, SASL_SCRAM_512_AUTH, …).
	SourceAccess map[string][]string
	// OnFailureARN is the on-failure destination, if any.
	OnFailureARN string
}

// ESMOption changes how an event source mapping is created.
type ESMOption func(*ESM)

// Provisioned puts the ESM in provisioned mode with min..max event pollers.
// Without it the ESM is on-demand.
func Provisioned(minPollers, maxPollers int32) ESMOption {
	return func(e *ESM) { e.Provisioned, e.MinPollers, e.MaxPollers = true, minPollers, maxPollers }
}

// Secret adds a secret-based source access configuration, kind being e.g.
// SASL_SCRAM_512_AUTH, BASIC_AUTH or CLIENT_CERTIFICATE_TLS_AUTH.
func Secret(secretARN, kind string) ESMOption {
	return func(e *ESM) { e.SourceAccess[kind] = append(e.SourceAccess[kind], secretARN) }
}

// OnFailure sends records that failed processing to an SQS queue, SNS topic
// or S3 bucket ARN.
func OnFailure(destinationARN string) ESMOption {
	return func(e *ESM) { e.OnFailureARN = destinationARN }
}

// KafkaESM maps an MSK cluster's topic to fn, starting at the latest record.
// The ESM's network identity is the cluster's subnets and security groups.
func (s *Scenario) KafkaESM(fn *Function, cluster *Cluster, topic string, opts ...ESMOption) *ESM {
	e := s.newESM(fn, topic, opts)
	e.EventSourceARN = cluster.ARN
	in := e.input()
	in.EventSourceArn = aws.String(cluster.ARN)
	s.createESM(fmt.Sprintf("create kafka event source mapping %s -> %s", cluster.Name, fn.Name), e, in)
	return e
}

// SelfManagedKafkaESM maps a topic of self-managed Kafka to fn. Lambda
// reaches the brokers from subnets with sg, given as VPC_SUBNET
// ("subnet:subnet-…") and VPC_SECURITY_GROUP ("security_group:sg-…") source
// access configurations.
func (s *Scenario) SelfManagedKafkaESM(fn *Function, brokers []string, topic string, subnets Subnets, sg *SG, opts ...ESMOption) *ESM {
	e := s.newESM(fn, topic, opts)
	e.Brokers = brokers
	for _, id := range subnets.IDs() {
		e.SourceAccess["VPC_SUBNET"] = append(e.SourceAccess["VPC_SUBNET"], "subnet:"+id)
	}
	for _, id := range sgIDs(sg) {
		e.SourceAccess["VPC_SECURITY_GROUP"] = append(e.SourceAccess["VPC_SECURITY_GROUP"], "security_group:"+id)
	}
	in := e.input()
	in.SelfManagedEventSource = &lambdatypes.SelfManagedEventSource{
		Endpoints: map[string][]string{"KAFKA_BOOTSTRAP_SERVERS": brokers},
	}
	s.createESM(fmt.Sprintf("create self-managed kafka event source mapping %s -> %s", strings.Join(brokers, ","), fn.Name), e, in)
	return e
}

func (s *Scenario) newESM(fn *Function, topic string, opts []ESMOption) *ESM {
	e := &ESM{FunctionARN: fn.ARN, Topic: topic, SourceAccess: map[string][]string{}}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

// sourceAccessOrder fixes the order of SourceAccessConfigurations so that
// requests are the same on every run.
var sourceAccessOrder = []string{"VPC_SUBNET", "VPC_SECURITY_GROUP", "BASIC_AUTH", "SASL_SCRAM_256_AUTH",
	"SASL_SCRAM_512_AUTH", "CLIENT_CERTIFICATE_TLS_AUTH", "SERVER_ROOT_CA_CERTIFICATE"}

func (e *ESM) input() *lambda.CreateEventSourceMappingInput {
	in := &lambda.CreateEventSourceMappingInput{
		FunctionName:     aws.String(e.FunctionARN),
		Topics:           []string{e.Topic},
		StartingPosition: lambdatypes.EventSourcePositionLatest,
	}
	kinds := slices.Clone(sourceAccessOrder)
	for _, kind := range slices.Sorted(maps.Keys(e.SourceAccess)) {
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	for _, kind := range kinds {
		for _, uri := range e.SourceAccess[kind] {
			in.SourceAccessConfigurations = append(in.SourceAccessConfigurations,
				lambdatypes.SourceAccessConfiguration{Type: lambdatypes.SourceAccessType(kind), URI: aws.String(uri)})
		}
	}
	if e.Provisioned {
		in.ProvisionedPollerConfig = &lambdatypes.ProvisionedPollerConfig{
			MinimumPollers: aws.Int32(e.MinPollers),
			MaximumPollers: aws.Int32(e.MaxPollers),
		}
	}
	if e.OnFailureARN != "" {
		in.DestinationConfig = &lambdatypes.DestinationConfig{
			OnFailure: &lambdatypes.OnFailure{Destination: aws.String(e.OnFailureARN)},
		}
	}
	return in
}

func (s *Scenario) createESM(step string, e *ESM, in *lambda.CreateEventSourceMappingInput) {
	s.do(step, func(ctx context.Context) error {
		out, err := s.lambda.CreateEventSourceMapping(ctx, in)
		if err != nil {
			return err
		}
		e.UUID = aws.ToString(out.UUID)
		return nil
	})
}
