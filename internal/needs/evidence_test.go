package needs

import (
	"slices"
	"strings"
	"testing"
)

// dynamoDBFullAccess is the shape of the AWS managed policy: its own
// service's actions, and the side grants of its console features.
const dynamoDBFullAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*","Action":[
 "dynamodb:*","dax:*","application-autoscaling:DescribeScalableTargets","cloudwatch:DeleteAlarms","cloudwatch:DescribeAlarms",
 "cloudwatch:PutMetricAlarm","datapipeline:ListPipelines","ec2:DescribeVpcs","ec2:DescribeSubnets","ec2:DescribeSecurityGroups",
 "iam:GetRole","kms:DescribeKey","kms:ListAliases","sns:CreateTopic","sns:Subscribe","sns:ListTopics","sns:SetTopicAttributes",
 "lambda:CreateFunction","lambda:ListFunctions","lambda:ListEventSourceMappings","lambda:CreateEventSourceMapping",
 "kinesis:ListStreams","kinesis:DescribeStreamSummary","resource-groups:ListGroups","tag:GetResources"]}]}`

// evidence renders each service with its evidence level.
func evidence(n Needs) []string {
	var out []string
	for _, s := range n.Services {
		out = append(out, s.Name+" "+s.Evidence())
	}
	return out
}

func TestEvidenceLevels(t *testing.T) {
	const queue = "arn:aws:sqs:us-east-1:123456789012:orders"
	const stream = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
	const topic = "arn:aws:sns:us-east-1:123456789012:failed"
	tests := []struct {
		name string
		in   Input
		want []string
		why  string // a fragment of the first service's why
	}{{
		name: "an AWS managed policy declares its own service only; the others it grants are suggested",
		in:   Input{Policies: []Policy{{Name: "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", Document: dynamoDBFullAccess}}},
		want: []string{"dynamodb declared", "kinesis suggested", "kms suggested", "lambda suggested", "monitoring suggested", "sns suggested"},
	}, {
		name: "an AWS managed policy made for the service declares it",
		in:   Input{Policies: []Policy{{Name: "arn:aws:iam::aws:policy/AmazonSNSFullAccess", Document: `{"Statement":[{"Effect":"Allow","Action":"sns:*","Resource":"*"}]}`}}},
		want: []string{"sns declared"},
	}, {
		name: "a side grant is declared when another source names the service",
		in: Input{
			Policies:    []Policy{{Name: "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", Document: dynamoDBFullAccess}},
			Tags:        map[string]string{TagIgnore: "ec2 kinesis kms lambda monitoring"},
			Environment: map[string]string{"TOPIC": "arn:aws:sns:us-east-1:123456789012:alerts"},
		},
		want: []string{"dynamodb declared", "sns declared"},
	}, {
		name: "a service wildcard in a custom policy is declared; a wildcard prefix only suggests",
		in:   Input{Policies: []Policy{{Name: "app", Document: `{"Statement":[{"Effect":"Allow","Action":["sns:*","dynamo*:*"],"Resource":"*"}]}`}}},
		want: []string{"dynamodb suggested", "sns declared"},
		why:  "a wildcard grant",
	}, {
		name: "every action on named resources suggests their services; on every resource it is a gap",
		in:   Input{Policies: []Policy{{Name: "app", Document: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":["arn:aws:s3:::reports/*"]}]}`}}},
		want: []string{"s3 suggested"},
	}, {
		name: "the pollers of the mappings that invoke the function are Lambda's own",
		in: Input{
			Policies: []Policy{{Name: "poll", Document: `{"Statement":[
				{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"*"},
				{"Effect":"Allow","Action":["kinesis:GetRecords","kinesis:GetShardIterator","kinesis:DescribeStream","kinesis:ListShards"],"Resource":"` + stream + `"}]}`}},
			LambdaUse: LambdaUse{EventSources: []string{queue, stream}},
		},
	}, {
		name: "poller actions without a mapping of that service are the code's own calls",
		in: Input{
			Policies:  []Policy{{Name: "poll", Document: `{"Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","kinesis:GetRecords"],"Resource":"*"}]}`}},
			LambdaUse: LambdaUse{EventSources: []string{queue}},
		},
		want: []string{"kinesis declared"},
	}, {
		name: "a destination's grant on the destination is Lambda's; on every resource it only suggests",
		in: Input{
			Policies: []Policy{{Name: "dest", Document: `{"Statement":[
				{"Effect":"Allow","Action":"sns:Publish","Resource":"` + topic + `"},
				{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"},
				{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:123456789012:key/*"}]}`}},
			LambdaUse: LambdaUse{Targets: []string{topic, "arn:aws:sqs:us-east-1:123456789012:dlq"}, KMSKeyARN: "arn:aws:kms:us-east-1:123456789012:key/1234"},
		},
		want: []string{"kms suggested", "sqs suggested"},
		why:  "on more than what Lambda itself uses it for: its calls to arn:aws:kms:us-east-1:123456789012:key/1234",
	}, {
		name: "a destination's action on another resource is the code's own call",
		in: Input{
			Policies:  []Policy{{Name: "dest", Document: `{"Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:alerts"}]}`}},
			LambdaUse: LambdaUse{Targets: []string{topic}},
		},
		want: []string{"sns declared"},
	}, {
		name: "network-interface wildcards are Lambda's; another EC2 action on an instance is a need",
		in: Input{Policies: []Policy{{Name: "eni", Document: `{"Statement":[
			{"Effect":"Allow","Action":["ec2:Describe*","ec2:CreateNetworkInterface","ec2:*NetworkInterface*"],"Resource":"*"},
			{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"}]}`}}},
		want: []string{"ec2 declared"},
		why:  "allows ec2:StartInstances",
	}, {
		name: "ec2:* covers the network interfaces and more: it only suggests",
		in:   Input{Policies: []Policy{{Name: "eni", Document: `{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`}}},
		want: []string{"ec2 suggested"},
	}, {
		name: "ec2:Describe* alone makes no requirement",
		in:   Input{Policies: []Policy{{Name: "eni", Document: `{"Statement":{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}}`}}},
	}, {
		name: "what could not be read of Lambda's use is said on the services it could explain",
		in: Input{
			Policies:  []Policy{{Name: "app", Document: `{"Statement":[{"Effect":"Allow","Action":["sns:Publish","ssm:GetParameter"],"Resource":"*"}]}`}},
			LambdaUse: LambdaUse{Unread: []string{"Lambda refused to read the function's asynchronous invocation configuration: AccessDeniedException"}},
		},
		want: []string{"sns declared", "ssm declared"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Infer(tt.in)
			if got := evidence(n); !slices.Equal(got, tt.want) {
				t.Errorf("services %q, want %q (%s)", got, tt.want, strings.Join(summary(n), "; "))
			}
			if tt.why != "" && (len(n.Services) == 0 || !strings.Contains(n.Services[0].Why(), tt.why)) {
				t.Errorf("why %q, want it to contain %q", summary(n), tt.why)
			}
		})
	}
}

func TestUnreadNamesOnlyWhatLambdaMayUse(t *testing.T) {
	n := Infer(Input{
		Policies:  []Policy{{Name: "app", Document: `{"Statement":[{"Effect":"Allow","Action":["sns:Publish","ssm:GetParameter"],"Resource":"*"}]}`}},
		LambdaUse: LambdaUse{Unread: []string{"AccessDeniedException: no"}},
		Tags:      map[string]string{TagNeeds: "ssm"},
	})
	got := map[string]string{}
	for _, s := range n.Services {
		got[s.Name] = s.Unread
	}
	if got["sns"] != "AccessDeniedException: no" || got["ssm"] != "" {
		t.Errorf("unread %q: want it on sns (a possible destination), not on ssm", got)
	}
}

func TestEveryManagedPolicyOwnsAMappedService(t *testing.T) {
	services := map[string]bool{}
	for _, s := range actionServices {
		services[s] = true
	}
	for name, own := range managedOwnService {
		if !services[own] {
			t.Errorf("%s is made for %q, which no action maps to", name, own)
		}
	}
	if name, ok := awsManagedPolicy("arn:aws:iam::aws:policy/service-role/AWSLambdaRole"); !ok || name != "AWSLambdaRole" {
		t.Errorf("awsManagedPolicy = %q, %v", name, ok)
	}
	if _, ok := awsManagedPolicy("arn:aws:iam::123456789012:policy/AmazonSNSFullAccess"); ok {
		t.Error("a customer managed policy named like an AWS one is not AWS managed")
	}
}
