package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/notify"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// What Lambda itself does with a function's role (its pollers, its
// deliveries, its network interfaces) is no requirement, and a need only a
// broad grant suggests is a warning that pages nobody.

// createStream makes a Kinesis stream in the emulator (the project has no
// Kinesis client: the stream only has to exist for a mapping to name it).
func createStream(t *testing.T, srv *emulator.Server, name string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", bytes.NewReader([]byte(fmt.Sprintf(`{"StreamName":%q,"ShardCount":1}`, name))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.CreateStream")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20250101/"+emulator.Region+"/kinesis/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create stream %s: HTTP %d", name, resp.StatusCode)
	}
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", emulator.Region, emulator.Account, name)
}

func createQueue(t *testing.T, srv *emulator.Server, name string) string {
	t.Helper()
	client := sqs.NewFromConfig(srv.MustConfig(t))
	out, err := client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return attrs.Attributes["QueueArn"]
}

func mapSource(t *testing.T, srv *emulator.Server, fn *scenario.Function, sourceARN string) {
	t.Helper()
	in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(fn.Name), EventSourceArn: aws.String(sourceARN)}
	if strings.Contains(sourceARN, ":kinesis:") {
		in.StartingPosition = lambdatypes.EventSourcePositionLatest
	}
	if _, err := lambda.NewFromConfig(srv.MustConfig(t)).CreateEventSourceMapping(t.Context(), in); err != nil {
		t.Fatalf("map %s to %s: %v", sourceARN, fn.Name, err)
	}
}

// requirement returns the report's requirement of a service.
func requirement(w report.Workload, service string) (report.Requirement, bool) {
	i := slices.IndexFunc(w.Requirements, func(r report.Requirement) bool { return r.Service == service })
	if i < 0 {
		return report.Requirement{}, false
	}
	return w.Requirements[i], true
}

func findingsAbout(w report.Workload, services ...string) []report.Finding {
	var out []report.Finding
	for _, f := range w.Findings {
		if slices.Contains(services, f.Service) {
			out = append(out, f)
		}
	}
	return out
}

func TestLambdaOwnUseIsNoRequirement(t *testing.T) {
	const pollerGrants = `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:DeleteMessageBatch","sqs:ChangeMessageVisibility","sqs:GetQueueAttributes"],"Resource":"*"},
	 {"Effect":"Allow","Action":["kinesis:GetRecords","kinesis:GetShardIterator","kinesis:DescribeStream","kinesis:DescribeStreamSummary","kinesis:ListShards","kinesis:ListStreams"],"Resource":"*"},
	 {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`
	tests := []struct {
		name   string
		status report.Status
		seed   func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function
		// declared and suggested are the services the report must require
		// at each level; none are those it must not require.
		declared, suggested, none []string
		check                     func(t *testing.T, w report.Workload)
	}{{
		// The managed poller policies are Lambda's own, so nothing is left
		// to check: requirements-unknown makes the function unknown.
		name: "an SQS and a Kinesis mapping with their managed policies, no NAT, no endpoint", status: report.StatusUnknown,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			fn := s.Function("list-manager", s.Role("list-manager", vpcAccess(),
				scenario.ManagedPolicy("AWSLambdaSQSQueueExecutionRole"), scenario.ManagedPolicy("AWSLambdaKinesisExecutionRole")), scenario.InVPC(n.Private, sg))
			mustSeed(t, s)
			mapSource(t, srv, fn, createQueue(t, srv, "orders"))
			mapSource(t, srv, fn, createStream(t, srv, "clicks"))
			return fn
		},
		none: []string{"sqs", "kinesis"},
		check: func(t *testing.T, w report.Workload) {
			if !slices.ContainsFunc(w.Findings, func(f report.Finding) bool { return f.CheckID == "VM108" }) {
				t.Errorf("findings %+v, want requirements-unknown", w.Findings)
			}
		},
	}, {
		name: "poller grants of an inline policy for the mappings that invoke the function, and an SSM endpoint", status: report.StatusOK,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			n.VPC.InterfaceEndpoint("ssm", n.Private, n.VPC.SecurityGroup("ssm-endpoint").Ingress(443, sg))
			fn := s.Function("list-manager", s.Role("list-manager", vpcAccess(), scenario.Inline(pollerGrants)), scenario.InVPC(n.Private, sg))
			mustSeed(t, s)
			mapSource(t, srv, fn, createQueue(t, srv, "orders"))
			mapSource(t, srv, fn, createStream(t, srv, "clicks"))
			return fn
		},
		declared: []string{"ssm"}, none: []string{"sqs", "kinesis"},
	}, {
		name: "the same grants without the mappings are the code's own calls", status: report.StatusBroken,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			n.VPC.InterfaceEndpoint("ssm", n.Private, n.VPC.SecurityGroup("ssm-endpoint").Ingress(443, sg))
			return s.Function("list-manager", s.Role("list-manager", vpcAccess(), scenario.Inline(pollerGrants)), scenario.InVPC(n.Private, sg))
		},
		declared: []string{"kinesis", "sqs", "ssm"},
	}, {
		name: "AmazonDynamoDBFullAccess with a DynamoDB gateway endpoint and no other path", status: report.StatusOK,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			n.VPC.GatewayEndpoint("dynamodb", n.Private.RouteTableIDs())
			return s.Function("list-manager", s.Role("list-manager", vpcAccess(), scenario.ManagedPolicy("AmazonDynamoDBFullAccess")), scenario.InVPC(n.Private, sg))
		},
		declared: []string{"dynamodb"}, suggested: []string{"kinesis", "kms", "lambda", "monitoring", "sns"}, none: []string{"ec2"},
		check: func(t *testing.T, w report.Workload) {
			for _, f := range findingsAbout(w, "kinesis", "lambda", "monitoring", "sns") {
				if f.Severity != report.SeverityWarning || !strings.Contains(f.Message, "vpcmedic:needs="+f.Service) || !strings.Contains(f.Message, "vpcmedic:ignore="+f.Service) {
					t.Errorf("finding %+v: want a warning saying how to declare or dismiss the need", f)
				}
			}
			if len(findingsAbout(w, "sns")) == 0 {
				t.Error("no warning about sns, which AmazonDynamoDBFullAccess grants and nothing reaches")
			}
			if notify.ShouldAlert("alarm", report.Report{Workloads: []report.Workload{w}}) {
				t.Error("suggested needs page on-call")
			}
		},
	}, {
		// The Lambda developer guide's list-manager sample: a Kinesis
		// mapping invokes it, and it writes DynamoDB through a gateway
		// endpoint. Its pollers and the console side grants page nobody.
		name: "the list-manager sample: a Kinesis mapping and DynamoDB through a gateway endpoint", status: report.StatusOK,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			n.VPC.GatewayEndpoint("dynamodb", n.Private.RouteTableIDs())
			fn := s.Function("list-manager", s.Role("list-manager", vpcAccess(),
				scenario.ManagedPolicy("AWSLambdaKinesisExecutionRole"), scenario.ManagedPolicy("AmazonDynamoDBFullAccess")), scenario.InVPC(n.Private, sg))
			mustSeed(t, s)
			mapSource(t, srv, fn, createStream(t, srv, "list-events"))
			return fn
		},
		// The policy's kinesis grants are the poller's actions, which the
		// mapping explains.
		declared: []string{"dynamodb"}, suggested: []string{"kms", "lambda", "monitoring", "sns"}, none: []string{"ec2", "kinesis"},
		check: func(t *testing.T, w report.Workload) {
			for _, f := range w.Findings {
				if f.Severity == report.SeverityError {
					t.Errorf("error finding %+v on a working sample application", f)
				}
			}
			if notify.ShouldAlert("alarm", report.Report{Workloads: []report.Workload{w}}) {
				t.Error("the sample application pages on-call")
			}
		},
	}, {
		name: "ec2:Describe* for the network interfaces is no requirement", status: report.StatusUnknown,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			return s.Function("eni-wildcard", s.Role("eni-wildcard", scenario.Inline(`{"Version":"2012-10-17","Statement":[
			 {"Effect":"Allow","Action":["ec2:Describe*","ec2:CreateNetworkInterface","ec2:DeleteNetworkInterface","ec2:AssignPrivateIpAddresses","ec2:UnassignPrivateIpAddresses"],"Resource":"*"}]}`)),
				scenario.InVPC(n.Private, sg))
		},
		none: []string{"ec2"},
	}, {
		name: "ec2:StartInstances on an instance is a need for EC2", status: report.StatusBroken,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			return s.Function("starter", s.Role("starter", vpcAccess(), scenario.Inline(`{"Version":"2012-10-17","Statement":[
			 {"Effect":"Allow","Action":"ec2:StartInstances","Resource":"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"}]}`)),
				scenario.InVPC(n.Private, sg))
		},
		declared: []string{"ec2"},
	}, {
		name: "an asynchronous on-failure topic and a dead-letter queue are Lambda's deliveries", status: report.StatusUnknown,
		seed: func(t *testing.T, srv *emulator.Server, s *scenario.Scenario, n zonedVPC, sg *scenario.SG) *scenario.Function {
			topic, err := sns.NewFromConfig(srv.MustConfig(t)).CreateTopic(t.Context(), &sns.CreateTopicInput{Name: aws.String("failed-orders")})
			if err != nil {
				t.Fatal(err)
			}
			dlq := createQueue(t, srv, "orders-dlq")
			fn := s.Function("notifier", s.Role("notifier", vpcAccess(), scenario.Inline(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
			 {"Effect":"Allow","Action":"sns:Publish","Resource":%q},{"Effect":"Allow","Action":"sqs:SendMessage","Resource":%q}]}`, aws.ToString(topic.TopicArn), dlq))),
				scenario.InVPC(n.Private, sg))
			mustSeed(t, s)
			client := lambda.NewFromConfig(srv.MustConfig(t))
			if _, err := client.PutFunctionEventInvokeConfig(t.Context(), &lambda.PutFunctionEventInvokeConfigInput{
				FunctionName:      aws.String(fn.Name),
				DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: topic.TopicArn}},
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := client.UpdateFunctionConfiguration(t.Context(), &lambda.UpdateFunctionConfigurationInput{
				FunctionName: aws.String(fn.Name), DeadLetterConfig: &lambdatypes.DeadLetterConfig{TargetArn: aws.String(dlq)},
			}); err != nil {
				t.Fatal(err)
			}
			return fn
		},
		none: []string{"sns", "sqs"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			n := twoZones(s)
			sg := n.VPC.SecurityGroup("app")
			fn := tt.seed(t, srv, s, n, sg)
			mustSeed(t, s)
			rep := handle(t, build(t, srv, app.OnLambdaChange), functionCreated(t, fn))
			if len(rep.Workloads) != 1 {
				t.Fatalf("workloads %+v, want %s alone", rep.Workloads, fn.Name)
			}
			w := rep.Workloads[0]
			if w.Status != tt.status {
				t.Errorf("status %s, want %s; findings %+v", w.Status, tt.status, w.Findings)
			}
			for level, services := range map[string][]string{"declared": tt.declared, "suggested": tt.suggested} {
				for _, svc := range services {
					if r, ok := requirement(w, svc); !ok || r.Evidence != level || r.Why == "" {
						t.Errorf("requirement of %s %+v (found %v), want %s with a reason; all: %+v", svc, r, ok, level, w.Requirements)
					}
				}
			}
			for _, svc := range tt.none {
				if r, ok := requirement(w, svc); ok {
					t.Errorf("requirement %+v: Lambda itself makes those calls", r)
				}
				if f := findingsAbout(w, svc); len(f) > 0 {
					t.Errorf("findings %+v about %s", f, svc)
				}
			}
			if len(w.Requirements) != len(tt.declared)+len(tt.suggested) {
				t.Errorf("requirements %+v, want %v declared and %v suggested", w.Requirements, tt.declared, tt.suggested)
			}
			if tt.status != report.StatusBroken && (rep.Alert != nil || len(rep.Changes) > 0) {
				t.Errorf("alert %+v, changes %+v: a function that is not broken pages nobody and needs no change", rep.Alert, rep.Changes)
			}
			if tt.check != nil {
				tt.check(t, w)
			}
		})
	}
}

func mustSeed(t *testing.T, s *scenario.Scenario) {
	t.Helper()
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
}
