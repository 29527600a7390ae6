package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// fixture holds the clients of one test against the shared emulator.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	srv    *Server
	ec2    *ec2.Client
	lambda *lambda.Client
	kafka  *kafka.Client
	iam    *iam.Client
	events *eventbridge.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := Shared(t)
	cfg := srv.MustConfig(t)
	return &fixture{
		t: t, ctx: t.Context(), srv: srv,
		ec2:    ec2.NewFromConfig(cfg),
		lambda: lambda.NewFromConfig(cfg),
		kafka:  kafka.NewFromConfig(cfg),
		iam:    iam.NewFromConfig(cfg),
		events: eventbridge.NewFromConfig(cfg),
	}
}

// subnet creates a VPC with one subnet and returns (vpc, subnet).
func (f *fixture) subnet(cidr string) (string, string) {
	f.t.Helper()
	vpc, err := f.ec2.CreateVpc(f.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	if err != nil {
		f.t.Fatalf("create vpc: %v", err)
	}
	subnet, err := f.ec2.CreateSubnet(f.ctx, &ec2.CreateSubnetInput{
		VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(strings.Replace(cidr, "0.0/16", "1.0/24", 1)),
	})
	if err != nil {
		f.t.Fatalf("create subnet: %v", err)
	}
	return *vpc.Vpc.VpcId, *subnet.Subnet.SubnetId
}

func (f *fixture) securityGroup(vpc string) string {
	f.t.Helper()
	sg, err := f.ec2.CreateSecurityGroup(f.ctx, &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(vpc), GroupName: aws.String("sg-" + vpc), Description: aws.String("test"),
	})
	if err != nil {
		f.t.Fatalf("create security group: %v", err)
	}
	return *sg.GroupId
}

func (f *fixture) role(name string, managed ...string) string {
	f.t.Helper()
	role, err := f.iam.CreateRole(f.ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		f.t.Fatalf("create role: %v", err)
	}
	for _, arn := range managed {
		if _, err := f.iam.AttachRolePolicy(f.ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			f.t.Fatalf("attach %s: %v", arn, err)
		}
	}
	return *role.Role.Arn
}

func (f *fixture) function(name string, vpcConfig *lambdatypes.VpcConfig) *lambda.CreateFunctionOutput {
	f.t.Helper()
	fn, err := f.lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(f.role(name + "-role")),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &lambdatypes.FunctionCode{ZipFile: []byte("not really a zip")},
		VpcConfig:    vpcConfig,
	})
	if err != nil {
		f.t.Fatalf("create function %s: %v", name, err)
	}
	return fn
}

func (f *fixture) cluster(name string, provisioned *kafkatypes.ProvisionedRequest) string {
	f.t.Helper()
	out, err := f.kafka.CreateClusterV2(f.ctx, &kafka.CreateClusterV2Input{ClusterName: aws.String(name), Provisioned: provisioned})
	if err != nil {
		f.t.Fatalf("create cluster %s: %v", name, err)
	}
	return *out.ClusterArn
}

func enabled() *bool { return aws.Bool(true) }

func provisionedCluster(subnet string, auth *kafkatypes.ClientAuthentication) *kafkatypes.ProvisionedRequest {
	return &kafkatypes.ProvisionedRequest{
		BrokerNodeGroupInfo: &kafkatypes.BrokerNodeGroupInfo{
			ClientSubnets: []string{subnet},
			InstanceType:  aws.String("kafka.m5.large"),
		},
		KafkaVersion:         aws.String("3.6.0"),
		NumberOfBrokerNodes:  aws.Int32(3),
		ClientAuthentication: auth,
	}
}

func TestKafkaEventSourceMappingRoundTrip(t *testing.T) {
	f := newFixture(t)
	_, subnet := f.subnet("10.1.0.0/16")
	f.function("consumer", nil)
	clusterARN := f.cluster("orders", provisionedCluster(subnet, nil))
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-creds"
	vpcAccess := []lambdatypes.SourceAccessConfiguration{
		{Type: lambdatypes.SourceAccessTypeVpcSubnet, URI: aws.String("subnet:" + subnet)},
		{Type: lambdatypes.SourceAccessTypeVpcSecurityGroup, URI: aws.String("security_group:sg-0123")},
	}
	provisioned := &lambdatypes.ProvisionedPollerConfig{MinimumPollers: aws.Int32(1), MaximumPollers: aws.Int32(3)}

	tests := []struct {
		name            string
		input           lambda.CreateEventSourceMappingInput
		update          lambda.UpdateEventSourceMappingInput
		wantProvisioned bool // after the update
	}{
		{
			name: "MSK cluster, provisioned switched to on-demand",
			input: lambda.CreateEventSourceMappingInput{
				EventSourceArn:          aws.String(clusterARN),
				ProvisionedPollerConfig: provisioned,
				AmazonManagedKafkaEventSourceConfig: &lambdatypes.AmazonManagedKafkaEventSourceConfig{
					ConsumerGroupId: aws.String("orders-consumers"),
				},
				SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{
					{Type: lambdatypes.SourceAccessTypeSaslScram512Auth, URI: aws.String(secret)},
				},
			},
			update: lambda.UpdateEventSourceMappingInput{
				ProvisionedPollerConfig: &lambdatypes.ProvisionedPollerConfig{},
				SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{
					{Type: lambdatypes.SourceAccessTypeClientCertificateTlsAuth, URI: aws.String(secret)},
				},
			},
			wantProvisioned: false,
		},
		{
			name: "MSK managed VPC connection, on-demand switched to provisioned",
			input: lambda.CreateEventSourceMappingInput{
				EventSourceArn: aws.String("arn:aws:kafka:us-east-1:123456789012:vpc-connection/210987654321/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-3"),
			},
			update:          lambda.UpdateEventSourceMappingInput{ProvisionedPollerConfig: provisioned},
			wantProvisioned: true,
		},
		{
			name: "self-managed Kafka, on-demand switched to provisioned",
			input: lambda.CreateEventSourceMappingInput{
				SelfManagedEventSource: &lambdatypes.SelfManagedEventSource{
					Endpoints: map[string][]string{"KAFKA_BOOTSTRAP_SERVERS": {"kafka1.internal:9096", "kafka2.internal:9096"}},
				},
				SelfManagedKafkaEventSourceConfig: &lambdatypes.SelfManagedKafkaEventSourceConfig{
					ConsumerGroupId: aws.String("payments"),
				},
				SourceAccessConfigurations: vpcAccess,
			},
			update: lambda.UpdateEventSourceMappingInput{
				ProvisionedPollerConfig:    provisioned,
				SourceAccessConfigurations: vpcAccess[:1],
			},
			wantProvisioned: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := tt.input
			input.FunctionName = aws.String("consumer")
			input.Topics = []string{"orders"}
			input.StartingPosition = lambdatypes.EventSourcePositionLatest
			input.DestinationConfig = &lambdatypes.DestinationConfig{
				OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")},
			}
			created, err := f.lambda.CreateEventSourceMapping(f.ctx, &input)
			if err != nil {
				t.Fatalf("create ESM: %v", err)
			}
			got, err := f.lambda.GetEventSourceMapping(f.ctx, &lambda.GetEventSourceMappingInput{UUID: created.UUID})
			if err != nil {
				t.Fatalf("get ESM: %v", err)
			}
			if aws.ToString(got.EventSourceArn) != aws.ToString(input.EventSourceArn) {
				t.Errorf("EventSourceArn = %q, want %q", aws.ToString(got.EventSourceArn), aws.ToString(input.EventSourceArn))
			}
			if !slices.Equal(got.Topics, []string{"orders"}) || got.StartingPosition != lambdatypes.EventSourcePositionLatest {
				t.Errorf("Topics, StartingPosition = %v, %s; want [orders], LATEST", got.Topics, got.StartingPosition)
			}
			if aws.ToString(got.State) != "Enabled" {
				t.Errorf("State = %q, want Enabled", aws.ToString(got.State))
			}
			if (got.ProvisionedPollerConfig != nil) != (input.ProvisionedPollerConfig != nil) {
				t.Errorf("ProvisionedPollerConfig = %+v, want %+v", got.ProvisionedPollerConfig, input.ProvisionedPollerConfig)
			}
			if !sameAccess(got.SourceAccessConfigurations, input.SourceAccessConfigurations) {
				t.Errorf("SourceAccessConfigurations = %+v, want %+v", got.SourceAccessConfigurations, input.SourceAccessConfigurations)
			}
			if got.DestinationConfig == nil || aws.ToString(got.DestinationConfig.OnFailure.Destination) != "arn:aws:sqs:us-east-1:123456789012:dlq" {
				t.Errorf("DestinationConfig = %+v, want the dlq on failure", got.DestinationConfig)
			}
			if input.SelfManagedEventSource != nil {
				servers := got.SelfManagedEventSource.Endpoints["KAFKA_BOOTSTRAP_SERVERS"]
				if len(servers) != 2 || aws.ToString(got.SelfManagedKafkaEventSourceConfig.ConsumerGroupId) != "payments" {
					t.Errorf("self-managed source = %+v, %+v", got.SelfManagedEventSource, got.SelfManagedKafkaEventSourceConfig)
				}
			}
			if input.AmazonManagedKafkaEventSourceConfig != nil && aws.ToString(got.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId) != "orders-consumers" {
				t.Errorf("AmazonManagedKafkaEventSourceConfig = %+v", got.AmazonManagedKafkaEventSourceConfig)
			}

			update := tt.update
			update.UUID = created.UUID
			if _, err := f.lambda.UpdateEventSourceMapping(f.ctx, &update); err != nil {
				t.Fatalf("update ESM: %v", err)
			}
			listed := listESMs(t, f, "consumer")
			i := slices.IndexFunc(listed, func(m lambdatypes.EventSourceMappingConfiguration) bool {
				return aws.ToString(m.UUID) == aws.ToString(created.UUID)
			})
			if i < 0 {
				t.Fatalf("ESM %s not listed", aws.ToString(created.UUID))
			}
			if gotProvisioned := listed[i].ProvisionedPollerConfig != nil; gotProvisioned != tt.wantProvisioned {
				t.Errorf("provisioned after update = %v, want %v", gotProvisioned, tt.wantProvisioned)
			}
			wantAccess := input.SourceAccessConfigurations
			if update.SourceAccessConfigurations != nil {
				wantAccess = update.SourceAccessConfigurations
			}
			if !sameAccess(listed[i].SourceAccessConfigurations, wantAccess) {
				t.Errorf("SourceAccessConfigurations after update = %+v, want %+v", listed[i].SourceAccessConfigurations, wantAccess)
			}

			if _, err := f.lambda.DeleteEventSourceMapping(f.ctx, &lambda.DeleteEventSourceMappingInput{UUID: created.UUID}); err != nil {
				t.Fatalf("delete ESM: %v", err)
			}
			_, err = f.lambda.GetEventSourceMapping(f.ctx, &lambda.GetEventSourceMappingInput{UUID: created.UUID})
			var notFound *lambdatypes.ResourceNotFoundException
			if !errors.As(err, &notFound) {
				t.Errorf("get after delete: err = %v, want ResourceNotFoundException", err)
			}
		})
	}
}

func listESMs(t *testing.T, f *fixture, function string) []lambdatypes.EventSourceMappingConfiguration {
	t.Helper()
	var all []lambdatypes.EventSourceMappingConfiguration
	pages := lambda.NewListEventSourceMappingsPaginator(f.lambda, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(function)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(f.ctx)
		if err != nil {
			t.Fatalf("list ESMs: %v", err)
		}
		all = append(all, page.EventSourceMappings...)
	}
	return all
}

func sameAccess(a, b []lambdatypes.SourceAccessConfiguration) bool {
	return slices.EqualFunc(a, b, func(x, y lambdatypes.SourceAccessConfiguration) bool {
		return x.Type == y.Type && aws.ToString(x.URI) == aws.ToString(y.URI)
	})
}

func TestSetESMStateReportsProblem(t *testing.T) {
	f := newFixture(t)
	f.function("consumer", nil)
	created, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName:     aws.String("consumer"),
		EventSourceArn:   aws.String("arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc"),
		Topics:           []string{"orders"},
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon,
	})
	if err != nil {
		t.Fatalf("create ESM: %v", err)
	}
	const problem = "PROBLEM: Connection error. Your event source VPC must be able to connect to Lambda and STS."
	if err := f.srv.SetESMState(f.ctx, *created.UUID, "Enabled", problem, "USER_INITIATED"); err != nil {
		t.Fatal(err)
	}
	got, err := f.lambda.GetEventSourceMapping(f.ctx, &lambda.GetEventSourceMappingInput{UUID: created.UUID})
	if err != nil {
		t.Fatalf("get ESM: %v", err)
	}
	if aws.ToString(got.LastProcessingResult) != problem || aws.ToString(got.StateTransitionReason) != "USER_INITIATED" {
		t.Errorf("LastProcessingResult, StateTransitionReason = %q, %q", aws.ToString(got.LastProcessingResult), aws.ToString(got.StateTransitionReason))
	}
	if err := f.srv.SetESMState(f.ctx, "no-such-uuid", "Enabled", problem, ""); err == nil {
		t.Error("SetESMState of an unknown ESM succeeded, want an error")
	}
}

func TestMSKClusterBootstrapBrokers(t *testing.T) {
	f := newFixture(t)
	_, subnet := f.subnet("10.2.0.0/16")
	tests := []struct {
		name     string
		auth     *kafkatypes.ClientAuthentication
		public   bool
		want     map[string]string // GetBootstrapBrokers field -> port
		wantAuth func(*kafkatypes.ClientAuthentication) bool
	}{
		{
			name: "IAM only",
			auth: &kafkatypes.ClientAuthentication{Sasl: &kafkatypes.Sasl{Iam: &kafkatypes.Iam{Enabled: enabled()}}},
			want: map[string]string{"SaslIam": "9098"},
			wantAuth: func(a *kafkatypes.ClientAuthentication) bool {
				return a.Sasl != nil && a.Sasl.Iam != nil && aws.ToBool(a.Sasl.Iam.Enabled)
			},
		},
		{
			name: "SASL/SCRAM only",
			auth: &kafkatypes.ClientAuthentication{Sasl: &kafkatypes.Sasl{Scram: &kafkatypes.Scram{Enabled: enabled()}}},
			want: map[string]string{"SaslScram": "9096"},
			wantAuth: func(a *kafkatypes.ClientAuthentication) bool {
				return a.Sasl != nil && a.Sasl.Scram != nil && aws.ToBool(a.Sasl.Scram.Enabled)
			},
		},
		{
			name: "mutual TLS only",
			auth: &kafkatypes.ClientAuthentication{Tls: &kafkatypes.Tls{Enabled: enabled(), CertificateAuthorityArnList: []string{"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/ca"}}},
			want: map[string]string{"Tls": "9094"},
			wantAuth: func(a *kafkatypes.ClientAuthentication) bool {
				return a.Tls != nil && aws.ToBool(a.Tls.Enabled) && len(a.Tls.CertificateAuthorityArnList) == 1
			},
		},
		{
			name:   "IAM and SCRAM with public access",
			auth:   &kafkatypes.ClientAuthentication{Sasl: &kafkatypes.Sasl{Iam: &kafkatypes.Iam{Enabled: enabled()}, Scram: &kafkatypes.Scram{Enabled: enabled()}}},
			public: true,
			want:   map[string]string{"SaslIam": "9098", "SaslScram": "9096", "PublicSaslIam": "9198", "PublicSaslScram": "9196"},
			wantAuth: func(a *kafkatypes.ClientAuthentication) bool {
				return a.Sasl != nil && a.Sasl.Iam != nil && a.Sasl.Scram != nil
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "cluster-" + string(rune('a'+i))
			req := provisionedCluster(subnet, tt.auth)
			if tt.public {
				req.BrokerNodeGroupInfo.ConnectivityInfo = &kafkatypes.ConnectivityInfo{
					PublicAccess: &kafkatypes.PublicAccess{Type: aws.String("SERVICE_PROVIDED_EIPS")},
				}
			}
			arn := f.cluster(name, req)

			desc, err := f.kafka.DescribeClusterV2(f.ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(arn)})
			if err != nil {
				t.Fatalf("describe cluster: %v", err)
			}
			if desc.ClusterInfo.State != kafkatypes.ClusterStateActive {
				t.Errorf("state = %s, want ACTIVE", desc.ClusterInfo.State)
			}
			if auth := desc.ClusterInfo.Provisioned.ClientAuthentication; auth == nil || !tt.wantAuth(auth) {
				t.Errorf("client authentication = %+v, want what was created", auth)
			}

			brokers, err := f.kafka.GetBootstrapBrokers(f.ctx, &kafka.GetBootstrapBrokersInput{ClusterArn: aws.String(arn)})
			if err != nil {
				t.Fatalf("get bootstrap brokers: %v", err)
			}
			got := map[string]string{
				"Plaintext":       aws.ToString(brokers.BootstrapBrokerString),
				"Tls":             aws.ToString(brokers.BootstrapBrokerStringTls),
				"SaslScram":       aws.ToString(brokers.BootstrapBrokerStringSaslScram),
				"SaslIam":         aws.ToString(brokers.BootstrapBrokerStringSaslIam),
				"PublicTls":       aws.ToString(brokers.BootstrapBrokerStringPublicTls),
				"PublicSaslScram": aws.ToString(brokers.BootstrapBrokerStringPublicSaslScram),
				"PublicSaslIam":   aws.ToString(brokers.BootstrapBrokerStringPublicSaslIam),
			}
			for field, list := range got {
				port, want := tt.want[field]
				if !want {
					if list != "" {
						t.Errorf("%s = %q, want none", field, list)
					}
					continue
				}
				hosts := strings.Split(list, ",")
				if len(hosts) != 3 {
					t.Errorf("%s = %q, want 3 brokers", field, list)
				}
				for n, host := range hosts {
					prefix := "b-" + string(rune('1'+n)) + "." + name + "."
					if !strings.HasPrefix(host, prefix) || !strings.HasSuffix(host, ".kafka.us-east-1.amazonaws.com:"+port) {
						t.Errorf("%s broker %d = %q, want %s...kafka.us-east-1.amazonaws.com:%s", field, n+1, host, prefix, port)
					}
				}
			}
		})
	}
}

func TestUnknownClusterIsNotFound(t *testing.T) {
	f := newFixture(t)
	arn := aws.String("arn:aws:kafka:us-east-1:123456789012:cluster/missing/0a1b2c3d")
	calls := map[string]func() error{
		"DescribeCluster": func() error {
			_, err := f.kafka.DescribeCluster(f.ctx, &kafka.DescribeClusterInput{ClusterArn: arn})
			return err
		},
		"DescribeClusterV2": func() error {
			_, err := f.kafka.DescribeClusterV2(f.ctx, &kafka.DescribeClusterV2Input{ClusterArn: arn})
			return err
		},
		"GetBootstrapBrokers": func() error {
			_, err := f.kafka.GetBootstrapBrokers(f.ctx, &kafka.GetBootstrapBrokersInput{ClusterArn: arn})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			var notFound *kafkatypes.NotFoundException
			if !errors.As(err, &notFound) {
				t.Fatalf("err = %v, want NotFoundException", err)
			}
			var httpErr *awshttp.ResponseError
			if !errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != http.StatusNotFound {
				t.Errorf("err = %v, want HTTP 404", err)
			}
		})
	}
}

func TestFunctionReportsItsSubnetsVPC(t *testing.T) {
	f := newFixture(t)
	vpcA, subnetA := f.subnet("10.3.0.0/16")
	vpcB, subnetB := f.subnet("10.4.0.0/16")
	sgA := f.securityGroup(vpcA)

	created := f.function("worker", &lambdatypes.VpcConfig{SubnetIds: []string{subnetA}, SecurityGroupIds: []string{sgA}})
	if got := aws.ToString(created.VpcConfig.VpcId); got != vpcA {
		t.Errorf("CreateFunction VpcId = %q, want %q", got, vpcA)
	}
	got, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("worker")})
	if err != nil {
		t.Fatalf("get function: %v", err)
	}
	if vpc := aws.ToString(got.Configuration.VpcConfig.VpcId); vpc != vpcA {
		t.Errorf("GetFunction VpcId = %q, want %q", vpc, vpcA)
	}

	sgB := f.securityGroup(vpcB)
	if _, err := f.lambda.UpdateFunctionConfiguration(f.ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("worker"),
		VpcConfig:    &lambdatypes.VpcConfig{SubnetIds: []string{subnetB}, SecurityGroupIds: []string{sgB}},
	}); err != nil {
		t.Fatalf("update function configuration: %v", err)
	}
	conf, err := f.lambda.GetFunctionConfiguration(f.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("worker")})
	if err != nil {
		t.Fatalf("get function configuration: %v", err)
	}
	if vpc := aws.ToString(conf.VpcConfig.VpcId); vpc != vpcB {
		t.Errorf("VpcId after moving to %s = %q, want %q", subnetB, vpc, vpcB)
	}
	pages := lambda.NewListFunctionsPaginator(f.lambda, &lambda.ListFunctionsInput{})
	found := false
	for pages.HasMorePages() {
		page, err := pages.NextPage(f.ctx)
		if err != nil {
			t.Fatalf("list functions: %v", err)
		}
		for _, fn := range page.Functions {
			if aws.ToString(fn.FunctionName) == "worker" {
				found = true
				if vpc := aws.ToString(fn.VpcConfig.VpcId); vpc != vpcB {
					t.Errorf("ListFunctions VpcId = %q, want %q", vpc, vpcB)
				}
			}
		}
	}
	if !found {
		t.Error("ListFunctions did not list worker")
	}
}

func TestEventPatternIsEvaluated(t *testing.T) {
	f := newFixture(t)
	event := `{"id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.lambda","account":"123456789012",` +
		`"time":"2025-01-01T00:00:00Z","region":"us-east-1","resources":[],` +
		`"detail":{"eventSource":"lambda.amazonaws.com","eventName":"CreateEventSourceMapping20150331"}}`
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"prefix matches the event name", `{"detail":{"eventName":[{"prefix":"CreateEventSourceMapping"}]}}`, true},
		{"prefix does not match", `{"detail":{"eventName":[{"prefix":"DeleteFunction"}]}}`, false},
		{"source differs", `{"source":["aws.ec2"]}`, false},
		{"anything-but excludes another name", `{"detail":{"eventName":[{"anything-but":["DeleteFunction20150331"]}]}}`, true},
		{"exists false on a present field", `{"detail":{"eventName":[{"exists":false}]}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.events.TestEventPattern(f.ctx, &eventbridge.TestEventPatternInput{
				EventPattern: aws.String(tt.pattern), Event: aws.String(event),
			})
			if err != nil {
				t.Fatalf("test event pattern: %v", err)
			}
			if out.Result != tt.want {
				t.Errorf("Result = %v, want %v", out.Result, tt.want)
			}
		})
	}

	_, err := f.events.TestEventPattern(f.ctx, &eventbridge.TestEventPatternInput{
		EventPattern: aws.String(`{"source":"aws.lambda"}`), Event: aws.String(event),
	})
	var invalid *ebtypes.InvalidEventPatternException
	if !errors.As(err, &invalid) {
		t.Errorf("invalid pattern: err = %v, want InvalidEventPatternException", err)
	}
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	f := newFixture(t)
	roleARN := f.role("esm-role", "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
	if _, err := f.iam.PutRolePolicy(f.ctx, &iam.PutRolePolicyInput{
		RoleName:   aws.String("esm-role"),
		PolicyName: aws.String("kafka"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["kafka:Describe*","kafka:GetBootstrapBrokers"],"Resource":"*"},
			{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-*"},
			{"Effect":"Deny","Action":"ec2:DeleteNetworkInterface","Resource":"*"},
			{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}
		]}`),
	}); err != nil {
		t.Fatalf("put role policy: %v", err)
	}
	user, err := f.iam.CreateUser(f.ctx, &iam.CreateUserInput{UserName: aws.String("operator")})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	if _, err := f.iam.PutUserPolicy(f.ctx, &iam.PutUserPolicyInput{
		UserName: aws.String("operator"), PolicyName: aws.String("all-but-iam"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`),
	}); err != nil {
		t.Fatalf("put user policy: %v", err)
	}

	tests := []struct {
		name      string
		principal string
		action    string
		resource  string
		context   []iamtypes.ContextEntry
		inputs    []string
		want      iamtypes.PolicyEvaluationDecisionType
		wantFrom  string // SourcePolicyId of the first matched statement
	}{
		{name: "allowed by the AWS managed policy", principal: roleARN, action: "ec2:CreateNetworkInterface",
			want: iamtypes.PolicyEvaluationDecisionTypeAllowed, wantFrom: "AWSLambdaVPCAccessExecutionRole"},
		{name: "allowed by a case-insensitive action wildcard", principal: roleARN, action: "kafka:describeclusterv2",
			want: iamtypes.PolicyEvaluationDecisionTypeAllowed, wantFrom: "kafka"},
		{name: "nothing grants it", principal: roleARN, action: "sns:Publish",
			want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "explicit deny beats the managed allow", principal: roleARN, action: "ec2:DeleteNetworkInterface",
			want: iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, wantFrom: "kafka"},
		{name: "resource inside the allowed pattern", principal: roleARN, action: "secretsmanager:GetSecretValue",
			resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-creds",
			want:     iamtypes.PolicyEvaluationDecisionTypeAllowed, wantFrom: "kafka"},
		{name: "resource outside the allowed pattern", principal: roleARN, action: "secretsmanager:GetSecretValue",
			resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-creds",
			want:     iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "resource patterns are case-sensitive", principal: roleARN, action: "secretsmanager:GetSecretValue",
			resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:KAFKA-creds",
			want:     iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "condition without its context key does not match", principal: roleARN, action: "kms:Decrypt",
			want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "condition satisfied by a context entry", principal: roleARN, action: "kms:Decrypt",
			context: []iamtypes.ContextEntry{{ContextKeyName: aws.String("kms:ViaService"), ContextKeyType: iamtypes.ContextKeyTypeEnumString,
				ContextKeyValues: []string{"secretsmanager.us-east-1.amazonaws.com"}}},
			want: iamtypes.PolicyEvaluationDecisionTypeAllowed, wantFrom: "kafka"},
		{name: "policy input list adds a grant", principal: roleARN, action: "sts:AssumeRole",
			inputs: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`},
			want:   iamtypes.PolicyEvaluationDecisionTypeAllowed, wantFrom: "PolicyInputList.1"},
		{name: "user NotAction allows other services", principal: *user.User.Arn, action: "ec2:DescribeVpcs",
			want: iamtypes.PolicyEvaluationDecisionTypeAllowed, wantFrom: "all-but-iam"},
		{name: "user NotAction leaves the excluded service denied", principal: *user.User.Arn, action: "iam:PassRole",
			want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String(tt.principal),
				ActionNames:     []string{tt.action},
				ContextEntries:  tt.context,
				PolicyInputList: tt.inputs,
			}
			if tt.resource != "" {
				input.ResourceArns = []string{tt.resource}
			}
			out, err := f.iam.SimulatePrincipalPolicy(f.ctx, input)
			if err != nil {
				t.Fatalf("simulate: %v", err)
			}
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("got %d results, want 1", len(out.EvaluationResults))
			}
			r := out.EvaluationResults[0]
			if aws.ToString(r.EvalActionName) != tt.action {
				t.Errorf("EvalActionName = %q, want %q", aws.ToString(r.EvalActionName), tt.action)
			}
			if r.EvalDecision != tt.want {
				t.Errorf("EvalDecision = %s, want %s", r.EvalDecision, tt.want)
			}
			if tt.wantFrom != "" && (len(r.MatchedStatements) == 0 || aws.ToString(r.MatchedStatements[0].SourcePolicyId) != tt.wantFrom) {
				t.Errorf("MatchedStatements = %+v, want one from %s", r.MatchedStatements, tt.wantFrom)
			}
		})
	}
}

func TestResetClearsState(t *testing.T) {
	f := newFixture(t)
	f.role("leftover")
	arn := f.cluster("leftover", provisionedCluster("subnet-0", nil))

	if err := f.srv.Reset(f.ctx); err != nil {
		t.Fatal(err)
	}
	_, err := f.iam.GetRole(f.ctx, &iam.GetRoleInput{RoleName: aws.String("leftover")})
	var noRole *iamtypes.NoSuchEntityException
	if !errors.As(err, &noRole) {
		t.Errorf("role after reset: err = %v, want NoSuchEntity", err)
	}
	_, err = f.kafka.DescribeClusterV2(f.ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(arn)})
	var noCluster *kafkatypes.NotFoundException
	if !errors.As(err, &noCluster) {
		t.Errorf("cluster after reset: err = %v, want NotFoundException", err)
	}
	// Managed policies come back after a reset.
	if _, err := f.iam.GetPolicy(f.ctx, &iam.GetPolicyInput{
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole"),
	}); err != nil {
		t.Errorf("managed policy after reset: %v", err)
	}
	vpcs, err := f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"false"}}}})
	if err != nil {
		t.Fatalf("describe vpcs: %v", err)
	}
	if len(vpcs.Vpcs) != 0 {
		t.Errorf("non-default VPCs after reset = %d, want 0", len(vpcs.Vpcs))
	}
}

// startOwn starts an emulator just for this test (the shared one must survive).
func startOwn(t *testing.T) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: needs the local AWS emulator (moto), not run with -short")
	}
	srv, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func TestStopEndsTheProcess(t *testing.T) {
	srv := startOwn(t)
	if err := srv.Reset(t.Context()); err != nil {
		t.Fatalf("emulator not serving before Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	<-srv.exited
	if err := srv.Stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if err := srv.Reset(t.Context()); err == nil {
		t.Error("emulator still answers after Stop")
	}
}

func TestProcessExitsWhenStdinCloses(t *testing.T) {
	srv := startOwn(t)
	// This is what happens when the parent process dies.
	if err := srv.stdin.Close(); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	if srv.waitErr != nil {
		t.Errorf("exit status = %v, want a clean exit", srv.waitErr)
	}
}

func TestConfigAndEnvPointAtTheEmulator(t *testing.T) {
	srv := &Server{URL: "http://127.0.0.1:4566"}
	cfg, err := srv.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != Region || aws.ToString(cfg.BaseEndpoint) != srv.URL || cfg.Retryer == nil {
		t.Fatalf("config = region %q, endpoint %q, retryer set %v", cfg.Region, aws.ToString(cfg.BaseEndpoint), cfg.Retryer != nil)
	}
	// A dropped connection is retried; moto's 500 for an unimplemented
	// operation is not.
	r := cfg.Retryer()
	dropped := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("use of closed network connection")}
	unimplemented := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}}, Err: errors.New("not implemented")}
	if r.MaxAttempts() != 3 || !r.IsErrorRetryable(dropped) || r.IsErrorRetryable(unimplemented) {
		t.Errorf("retryer: %d attempts, dropped connection retried %v, HTTP 500 retried %v", r.MaxAttempts(), r.IsErrorRetryable(dropped), r.IsErrorRetryable(unimplemented))
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil || creds.AccessKeyID != "test" || creds.SecretAccessKey != "test" {
		t.Errorf("credentials = %+v, %v; want test/test", creds, err)
	}
	env := srv.Env()
	for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env() lacks %s", want)
		}
	}
}

func TestStartExplainsMissingDependencies(t *testing.T) {
	// The interpreter itself, not a version manager's shim that needs PATH.
	out, lookErr := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	realPython := strings.TrimSpace(string(out))
	tests := []struct {
		name   string
		python string // content of the python3 found on PATH; "" = none
	}{
		{name: "no python3 on PATH"},
		{name: "python3 without moto", python: "#!/bin/sh\nexec " + realPython + " -S \"$@\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.python != "" {
				if lookErr != nil {
					t.Skip("needs a real python3 to run without site-packages")
				}
				if err := os.WriteFile(filepath.Join(dir, "python3"), []byte(tt.python), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", dir)
			t.Setenv(PythonEnv, "") // as `make test` sets it
			srv, err := Start(t.Context())
			if err == nil {
				_ = srv.Stop()
				t.Fatal("Start succeeded, want an error")
			}
			if !strings.Contains(err.Error(), InstallHint) {
				t.Errorf("error %q lacks the install hint", err)
			}
		})
	}
}

func TestSeededBuildsTheFixtureOncePerReset(t *testing.T) {
	runs := 0
	seed := func(tb testing.TB, s *Server) {
		runs++
		if _, err := iam.NewFromConfig(s.MustConfig(tb)).CreateRole(tb.Context(), &iam.CreateRoleInput{
			RoleName: aws.String("seeded"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		}); err != nil {
			tb.Fatalf("seed: %v", err)
		}
	}
	Seeded(t, "one-role", seed)
	srv := Seeded(t, "one-role", seed)
	if runs != 1 {
		t.Errorf("seed ran %d times for two calls, want 1", runs)
	}
	if _, err := iam.NewFromConfig(srv.MustConfig(t)).GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String("seeded")}); err != nil {
		t.Errorf("seeded role missing: %v", err)
	}
	Shared(t) // another test wiped the state
	Seeded(t, "one-role", seed)
	if runs != 2 {
		t.Errorf("seed ran %d times after a reset, want 2", runs)
	}
}

func TestVPCEndpointsFilterByID(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.7.0.0/16")
	var ids []string
	for _, svc := range []string{"sts", "lambda"} {
		out, err := f.ec2.CreateVpcEndpoint(f.ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(vpc), ServiceName: aws.String("com.amazonaws.us-east-1." + svc),
			VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{subnet},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.VpcEndpoint.VpcEndpointId))
	}
	out, err := f.ec2.DescribeVpcEndpoints(f.ctx, &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: ids[:1]}},
	})
	if err != nil {
		t.Fatalf("filter by vpc-endpoint-id: %v", err)
	}
	if len(out.VpcEndpoints) != 1 || aws.ToString(out.VpcEndpoints[0].VpcEndpointId) != ids[0] || aws.ToString(out.VpcEndpoints[0].VpcId) != vpc {
		t.Errorf("endpoints = %+v", out.VpcEndpoints)
	}
}

// A function reports the state the test sets, where AWS says it: in
// GetFunction and GetFunctionConfiguration, never in ListFunctions.
func TestSetFunctionStateReportsFailure(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.7.0.0/16")
	f.function("api", &lambdatypes.VpcConfig{SubnetIds: []string{subnet}, SecurityGroupIds: []string{f.securityGroup(vpc)}})
	const reason = "Lambda was unable to create an ENI in the subnet because the subnet has no available IP addresses."
	failed := FunctionState{
		State: "Failed", StateReasonCode: "SubnetOutOfIPAddresses", StateReason: reason,
		LastUpdateStatus: "Failed", LastUpdateStatusReasonCode: "SubnetOutOfIPAddresses", LastUpdateStatusReason: reason,
	}
	if err := f.srv.SetFunctionState(f.ctx, "api", failed); err != nil {
		t.Fatal(err)
	}
	conf, err := f.lambda.GetFunctionConfiguration(f.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("api")})
	if err != nil {
		t.Fatalf("get function configuration: %v", err)
	}
	if conf.State != "Failed" || conf.StateReasonCode != "SubnetOutOfIPAddresses" || aws.ToString(conf.StateReason) != reason ||
		conf.LastUpdateStatus != "Failed" || conf.LastUpdateStatusReasonCode != "SubnetOutOfIPAddresses" {
		t.Errorf("GetFunctionConfiguration: State %s (%s) %q, LastUpdateStatus %s (%s)",
			conf.State, conf.StateReasonCode, aws.ToString(conf.StateReason), conf.LastUpdateStatus, conf.LastUpdateStatusReasonCode)
	}
	got, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api")})
	if err != nil {
		t.Fatalf("get function: %v", err)
	}
	if c := got.Configuration; c == nil || c.State != "Failed" || c.StateReasonCode != "SubnetOutOfIPAddresses" {
		t.Errorf("GetFunction configuration = %+v", c)
	}
	list, err := f.lambda.ListFunctions(f.ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatalf("list functions: %v", err)
	}
	if len(list.Functions) != 1 || list.Functions[0].State != "" || list.Functions[0].LastUpdateStatus != "" || len(list.Functions[0].VpcConfig.SubnetIds) != 1 {
		t.Errorf("ListFunctions = %+v, want the function without its state", list.Functions)
	}
	if err := f.srv.SetFunctionState(f.ctx, "no-such-function", failed); err == nil {
		t.Error("SetFunctionState of an unknown function succeeded, want an error")
	}
}
