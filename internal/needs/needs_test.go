package needs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// summary renders a Needs compactly: "sns <- policy X allows sns:Publish",
// "db orders.x.rds.amazonaws.com:3306 <- environment variable ...".
func summary(n Needs) []string {
	var out []string
	for _, s := range n.Services {
		out = append(out, s.Name+" <- "+s.Why())
	}
	for _, d := range n.Databases {
		out = append(out, fmt.Sprintf("%s %s:%d <- %s", d.Kind, d.Host, d.Port, d.Why()))
	}
	return out
}

const blogPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:lambda-test-topic"},
 {"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`

func TestInfer(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		want     []string
		gaps     []string // fragments, one per gap
		ignored  []string
		wantNone bool
	}{{
		name: "the blog function: SNS from its policy, RDS from its variables; logs need no path",
		in: Input{
			Policies:    []Policy{{Name: "inline policy sns of role LambdaExecRole", Document: blogPolicy}},
			Environment: map[string]string{"RDS_HOST": "orders.csz5pwpxpwqe.rds.cn-northwest-1.amazonaws.com.cn", "RDS_PORT": "3306", "DB_NAME": "myDatabase"},
		},
		want: []string{
			"sns <- policy inline policy sns of role LambdaExecRole allows sns:Publish",
			"rds orders.csz5pwpxpwqe.rds.cn-northwest-1.amazonaws.com.cn:3306 <- environment variable RDS_HOST names orders.csz5pwpxpwqe.rds.cn-northwest-1.amazonaws.com.cn",
		},
	}, {
		name: "Lambda's own managed policies say nothing about the code",
		in: Input{Policies: []Policy{
			{Name: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", Document: `{"Statement":[{"Effect":"Allow","Action":["ec2:CreateNetworkInterface","logs:PutLogEvents"],"Resource":"*"}]}`},
			{Name: "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", Document: `{"Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage"],"Resource":"*"}]}`},
		}},
	}, {
		name: "ENI, X-Ray and Kafka poller actions in a custom policy need no path; other EC2 calls do",
		in:   Input{Policies: []Policy{{Name: "custom", Document: `{"Statement":{"Effect":"Allow","Action":["ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces","xray:PutTraceSegments","kafka:DescribeClusterV2","kafka-cluster:Connect","ec2:DescribeInstances"],"Resource":"*"}}`}}},
		want: []string{"ec2 <- policy custom allows ec2:DescribeInstances"},
	}, {
		name: "wildcards within a service, several actions summarised, deny ignored",
		in: Input{Policies: []Policy{{Name: "app", Document: `{"Statement":[
			{"Effect":"Allow","Action":["s3:Get*","s3:PutObject","dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query","dynamodb:UpdateItem"],"Resource":"*"},
			{"Effect":"Deny","Action":"sqs:*","Resource":"*"}]}`}}},
		want: []string{
			"dynamodb <- policy app allows dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query and 1 more",
			"s3 <- policy app allows s3:Get*, s3:PutObject",
		},
	}, {
		name: "a policy allowing everything is a gap, not every service",
		in: Input{Policies: []Policy{
			{Name: "arn:aws:iam::aws:policy/AdministratorAccess", Document: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
			{Name: "broad", Document: `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`},
		}},
		gaps: []string{`AdministratorAccess allows "*"`, "policy broad allows every action but iam:*"},
	}, {
		name: "a document that is not JSON and an unreadable role are gaps",
		in:   Input{Policies: []Policy{{Name: "bad", Document: "%7B"}}, PoliciesUnread: "AccessDenied: not allowed"},
		gaps: []string{"could not be read: AccessDenied", "policy bad is not JSON"},
	}, {
		name: "ARNs and service hostnames in variables",
		in: Input{Environment: map[string]string{
			"TOPIC_ARN":   "arn:aws:sns:us-east-1:123456789012:alerts",
			"QUEUE_URL":   "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
			"SECRET":      "arn:aws:secretsmanager:us-east-1:123456789012:secret:appflow!conn-AbCd",
			"BUCKET_URL":  "https://reports.s3.us-east-1.amazonaws.com/daily/",
			"PRIVATE_API": "https://vpce-0a1b2c3d-x1y2z3.sqs.us-east-1.vpce.amazonaws.com",
			"ROLE":        "arn:aws:iam::123456789012:role/other",
			"GREETING":    "hello from amazonaws.com",
		}},
		want: []string{
			"s3 <- environment variable BUCKET_URL names reports.s3.us-east-1.amazonaws.com",
			"secretsmanager <- environment variable SECRET names arn:aws:secretsmanager:us-east-1:123456789012:secret:appflow!conn-AbCd",
			"sns <- environment variable TOPIC_ARN names arn:aws:sns:us-east-1:123456789012:alerts",
			"sqs <- environment variable QUEUE_URL names sqs.us-east-1.amazonaws.com",
		},
	}, {
		name: "database endpoints: a JDBC URL with its port, Aurora, ElastiCache; the RDS API's own name is no database",
		in: Input{Environment: map[string]string{
			"JDBC_URL":   "jdbc:mysql://orders.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com:3306/orders?ssl=true",
			"CACHE_HOST": "sessions.abc123.0001.use1.cache.amazonaws.com",
			"RDS_API":    "https://rds.us-east-1.amazonaws.com",
		}},
		want: []string{
			"rds orders.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com:3306 <- environment variable JDBC_URL names orders.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com:3306",
			"elasticache sessions.abc123.0001.use1.cache.amazonaws.com:0 <- environment variable CACHE_HOST names sessions.abc123.0001.use1.cache.amazonaws.com",
		},
	}, {
		name: "the same service from the role, a variable and the tag lists every source",
		in: Input{
			Policies:    []Policy{{Name: "connector", Document: `{"Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`}},
			Environment: map[string]string{"SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCd"},
			Tags:        map[string]string{TagNeeds: "secretsmanager, kinesis"},
		},
		want: []string{
			"kinesis <- tag vpcmedic:needs=secretsmanager, kinesis",
			"secretsmanager <- policy connector allows secretsmanager:GetSecretValue; environment variable SECRET_ARN names arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCd; tag vpcmedic:needs=secretsmanager, kinesis",
		},
	}, {
		name: "the tag accepts spaces and + (Lambda tag values refuse commas in some tools)",
		in:   Input{Tags: map[string]string{TagNeeds: "SNS + s3  sqs/kms"}},
		want: []string{
			"kms <- tag vpcmedic:needs=SNS + s3  sqs/kms", "s3 <- tag vpcmedic:needs=SNS + s3  sqs/kms",
			"sns <- tag vpcmedic:needs=SNS + s3  sqs/kms", "sqs <- tag vpcmedic:needs=SNS + s3  sqs/kms",
		},
	}, {
		name: "ignore removes a service and a database by host or kind",
		in: Input{
			Policies:    []Policy{{Name: "app", Document: blogPolicy}},
			Environment: map[string]string{"QUEUE": "arn:aws:sqs:us-east-1:123456789012:q", "DB": "a.b.us-east-1.rds.amazonaws.com", "CACHE": "c.d.0001.use1.cache.amazonaws.com"},
			Tags:        map[string]string{TagIgnore: "sqs,a.b.us-east-1.rds.amazonaws.com elasticache"},
		},
		want:    []string{"sns <- policy app allows sns:Publish"},
		ignored: []string{"sqs", "a.b.us-east-1.rds.amazonaws.com", "c.d.0001.use1.cache.amazonaws.com"},
	}, {
		name:     "ignore * says there is nothing to check",
		in:       Input{Policies: []Policy{{Name: "app", Document: blogPolicy}}, Tags: map[string]string{TagIgnore: "*"}},
		ignored:  []string{"sns"},
		wantNone: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Infer(tt.in)
			if got := summary(n); !slices.Equal(got, tt.want) {
				t.Errorf("needs\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if len(n.Gaps) != len(tt.gaps) {
				t.Errorf("gaps %q, want %d", n.Gaps, len(tt.gaps))
			}
			for _, g := range tt.gaps {
				if !slices.ContainsFunc(n.Gaps, func(s string) bool { return strings.Contains(s, g) }) {
					t.Errorf("gaps %q, want one containing %q", n.Gaps, g)
				}
			}
			if !slices.Equal(sortedCopy(n.Ignored), sortedCopy(tt.ignored)) {
				t.Errorf("ignored %v, want %v", n.Ignored, tt.ignored)
			}
			if n.None != tt.wantNone {
				t.Errorf("none = %v, want %v", n.None, tt.wantNone)
			}
		})
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestServiceOfAction(t *testing.T) {
	for action, want := range map[string]string{
		"sns:Publish": "sns", "SecretsManager:GetSecretValue": "secretsmanager", "cloudwatch:PutMetricData": "monitoring",
		"states:StartExecution": "states", "events:PutEvents": "events", "sts:AssumeRole": "sts",
		"logs:PutLogEvents": "", "xray:PutTraceSegments": "", "ec2:CreateNetworkInterface": "", "iam:PassRole": "", "nonsense": "",
	} {
		got, ok := ServiceOfAction(action)
		if got != want || ok != (want != "") {
			t.Errorf("ServiceOfAction(%q) = %q, %v; want %q", action, got, ok, want)
		}
	}
}
