package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// The diagnosis of VPC-attached functions, end to end: what each must
// reach is inferred from its execution role, environment and tags, and
// on-lambda-change handles the CreateFunction or UpdateFunctionConfiguration
// event naming it.

// snsPublish is the blog function's own policy (seed 002).
const snsPublish = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:lambda-test-topic"}]}`

// readSecrets is what an AppFlow custom connector needs: the connector
// profile's credentials live in Secrets Manager (seed 003).
const readSecrets = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:appflow!*"}]}`

const readReports = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`

// eniActions are what AWSLambdaVPCAccessExecutionRole grants.
var eniActions = []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}

// eniWarnings are the actions AWSLambdaENIManagementAccess, which AWS
// documents as enough, lacks or Lambda does not need to attach a function.
var eniWarnings = []string{"ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}

func vpcAccess() scenario.Policy { return scenario.ManagedPolicy("AWSLambdaVPCAccessExecutionRole") }

// blogFunction is seed 002's set-up: a function in two private subnets
// with lambda-sg (all egress), an RDS MySQL instance with rds-sg, no NAT
// gateway and no endpoint. pair adds rds-sg's ingress 3306 from lambda-sg.
type blogSetup struct {
	Net      zonedVPC
	LambdaSG *scenario.SG
	RDSSG    *scenario.SG
	DB       *scenario.Database
	Role     *scenario.Role
	Fn       *scenario.Function
}

func blogFunction(s *scenario.Scenario, pair bool) blogSetup {
	var b blogSetup
	b.Net = twoZones(s)
	b.LambdaSG = b.Net.VPC.SecurityGroup("lambda-sg")
	b.RDSSG = b.Net.VPC.SecurityGroup("rds-sg")
	if pair {
		b.RDSSG.Ingress(3306, b.LambdaSG)
	}
	b.DB = b.Net.VPC.MySQL("orders-db", b.Net.Private, b.RDSSG)
	b.Role = s.Role("LambdaExecRole", vpcAccess(), scenario.Inline(snsPublish))
	b.Fn = s.Function("orders-report", b.Role, scenario.InVPC(b.Net.Private, b.LambdaSG),
		scenario.Env("RDS_HOST", b.DB.Host), scenario.Env("DB_NAME", "myDatabase"))
	return b
}

// functionEvent is the event CloudTrail delivers for a Lambda call on a
// seeded function; request replaces its request parameters (nil: those of
// a creation with the function's VPC configuration).
func functionEvent(t *testing.T, eventName string, fn *scenario.Function, request map[string]any) []byte {
	t.Helper()
	if request == nil {
		request = map[string]any{"functionName": fn.Name, "role": fn.RoleARN, "runtime": "provided.al2023", "handler": "bootstrap", "code": map[string]any{}}
		if len(fn.SubnetIDs) > 0 {
			request["vpcConfig"] = map[string]any{"subnetIds": fn.SubnetIDs, "securityGroupIds": fn.SGIDs, "ipv6AllowedForDualStack": false}
		}
	}
	response := map[string]any{"functionName": fn.Name, "functionArn": fn.ARN, "role": fn.RoleARN, "state": "Pending"}
	if v, ok := request["vpcConfig"]; ok {
		response["vpcConfig"] = v
	}
	event := map[string]any{
		"version": "0", "id": "c3a1e2d4-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "detail-type": "AWS API Call via CloudTrail",
		"source": "aws.lambda", "account": emulator.Account, "time": "2025-03-14T09:42:40Z", "region": emulator.Region,
		"resources": []string{},
		"detail": map[string]any{
			"eventVersion": "1.08",
			"userIdentity": map[string]any{
				"type": "AssumedRole", "arn": "arn:aws:sts::" + emulator.Account + ":assumed-role/PlatformDeploy/ci", "accountId": emulator.Account,
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{
					"type": "Role", "arn": "arn:aws:iam::" + emulator.Account + ":role/PlatformDeploy", "accountId": emulator.Account, "userName": "PlatformDeploy",
				}},
			},
			"eventTime": "2025-03-14T09:42:38Z", "eventSource": "lambda.amazonaws.com",
			"eventName": eventName, "awsRegion": emulator.Region,
			"requestParameters": request, "responseElements": response,
			"eventID": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "readOnly": false, "eventType": "AwsApiCall",
			"managementEvent": true, "recipientAccountId": emulator.Account,
		},
	}
	raw, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func functionCreated(t *testing.T, fn *scenario.Function) []byte {
	t.Helper()
	return functionEvent(t, "CreateFunction20150331", fn, nil)
}

// needsWhy returns the report's reason for a service or database.
func needsWhy(w report.Workload, what string) string {
	for _, n := range w.Needs {
		if n.Service == what || strings.HasPrefix(n.Database, what) {
			return n.Why
		}
	}
	return ""
}

func TestVPCFunctionDiagnosis(t *testing.T) {
	tests := []struct {
		name   string
		status report.Status
		seed   func(s *scenario.Scenario) (*scenario.Function, []wantFinding)
		// check, when set, looks further at the report.
		check func(t *testing.T, w report.Workload)
	}{{
		name: "the blog function without NAT and without the security group pair: SNS and the database are unreachable", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			b := blogFunction(s, false)
			want := unreachable(b.Net.Private, []string{"sns"},
				"cannot reach sns, needed because policy LambdaExecRole-inline-1 (inline, role LambdaExecRole) allows sns:Publish",
				fmt.Sprintf("no sns interface endpoint with private DNS in VPC %s", b.Net.VPC.ID))
			for _, sn := range b.Net.Private {
				want = append(want, wantFinding{Check: "database-access", Severity: report.SeverityError, AZ: sn.AZ, Service: "rds", Subnet: sn.ID,
					Says: []string{fmt.Sprintf("cannot reach database %s on TCP 3306, needed because environment variable RDS_HOST names %s", b.DB.Host, b.DB.Host),
						"no ingress rule of " + b.RDSSG.ID}})
			}
			return b.Fn, want
		},
		check: func(t *testing.T, w report.Workload) {
			if !slices.ContainsFunc(w.Recommendations, func(r string) bool { return strings.Contains(r, "--group-id ") && strings.Contains(r, "--port 3306") }) {
				t.Errorf("recommendations %q, want the database group rule with its command", w.Recommendations)
			}
		},
	}, {
		name: "the blog function once the security group pair exists: the database is fine, SNS still is not", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			b := blogFunction(s, true)
			return b.Fn, unreachable(b.Net.Private, []string{"sns"}, "allows sns:Publish")
		},
		check: func(t *testing.T, w report.Workload) {
			if why := needsWhy(w, "orders-db."); !strings.Contains(why, "RDS_HOST") {
				t.Errorf("needs %+v: want the database, from RDS_HOST", w.Needs)
			}
			if len(w.NeedsGaps) != 0 {
				t.Errorf("gaps %q: the role's policies were readable", w.NeedsGaps)
			}
		},
	}, {
		name: "the blog function with the SNS endpoint of the blog: everything is reachable", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			b := blogFunction(s, true)
			endpointSG := b.Net.VPC.SecurityGroup("endpoint-sg").Ingress(443, b.LambdaSG)
			b.Net.VPC.InterfaceEndpoint("sns", b.Net.Private, endpointSG)
			return b.Fn, nil
		},
	}, {
		name: "the AppFlow connector in private subnets without NAT cannot read its connection secret", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			sg := n.VPC.SecurityGroup("connector")
			fn := s.Function("jdbc-connector", s.Role("appflow-connector", vpcAccess(), scenario.Inline(readSecrets)), scenario.InVPC(n.Private, sg))
			return fn, unreachable(n.Private, []string{"secretsmanager"}, "allows secretsmanager:GetSecretValue")
		},
	}, {
		name: "the AppFlow connector with a Secrets Manager endpoint admitting it on 443", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			sg := n.VPC.SecurityGroup("connector")
			n.VPC.InterfaceEndpoint("secretsmanager", n.Private, n.VPC.SecurityGroup("secrets-endpoint").Ingress(443, sg))
			return s.Function("jdbc-connector", s.Role("appflow-connector", vpcAccess(), scenario.Inline(readSecrets)), scenario.InVPC(n.Private, sg)), nil
		},
	}, {
		name: "a function only in public subnets gets no public IP: S3 is unreachable", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			fn := s.Function("report-reader", s.Role("report-reader", vpcAccess(), scenario.Inline(readReports)),
				scenario.InVPC(n.Public, n.VPC.SecurityGroup("reader")))
			return fn, unreachable(n.Public, []string{"s3"}, "is public", "a function in a public subnet gets no public IP")
		},
	}, {
		name: "S3 through a gateway endpoint", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			n.VPC.GatewayEndpoint("s3", n.Private.RouteTableIDs())
			return s.Function("report-reader", s.Role("report-reader", vpcAccess(), scenario.Inline(readReports)),
				scenario.InVPC(n.Private, n.VPC.SecurityGroup("reader"))), nil
		},
	}, {
		// An "intra" subnet ACL that admits the VPC only drops the replies
		// of S3, which come from its public prefix-list addresses.
		name: "S3 through a gateway endpoint, the subnets' ACL admitting only the VPC", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			n.VPC.GatewayEndpoint("s3", n.Private.RouteTableIDs())
			acl := n.VPC.NACL("intra", n.Private...).AllowAllIn(100, "10.0.0.0/16").AllowAllOut(100, "0.0.0.0/0")
			fn := s.Function("report-reader", s.Role("report-reader", vpcAccess(), scenario.Inline(readReports)),
				scenario.InVPC(n.Private, n.VPC.SecurityGroup("reader")))
			return fn, unreachable(n.Private, []string{"s3"}, acl.ID, "denies inbound replies on TCP 1024-65535", "prefix list")
		},
	}, {
		name: "a role without the network interface actions", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			n.VPC.NATPerAZ(n.Public, n.Private)
			fn := s.Function("notifier", s.Role("notifier", scenario.Inline(snsPublish)), scenario.InVPC(n.Private, n.VPC.SecurityGroup("notifier")))
			// Matched by check and service, each against the first of them
			// (CreateNetworkInterface's); the check below looks at each.
			var want []wantFinding
			for range eniActions {
				want = append(want, wantFinding{Check: "execution-role-permissions", Severity: report.SeverityError, Service: "ec2",
					Says: []string{"execution role arn:aws:iam::123456789012:role/notifier is not allowed ec2:", "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"}})
			}
			return fn, want
		},
		check: func(t *testing.T, w report.Workload) {
			for _, action := range eniActions {
				i := slices.IndexFunc(w.Findings, func(f report.Finding) bool { return strings.Contains(f.Message, "is not allowed "+action+" on ") })
				want := report.SeverityError
				if slices.Contains(eniWarnings, action) {
					want = report.SeverityWarning
				}
				if i < 0 || w.Findings[i].Severity != want {
					t.Errorf("no %s finding names %s", want, action)
				}
			}
			// The request that creates the interface names the subnets and
			// group the function is attached to.
			if !slices.ContainsFunc(w.Findings, func(f report.Finding) bool {
				return strings.Contains(f.Message, "ec2:CreateNetworkInterface on arn:aws:ec2:us-east-1:123456789012:subnet/subnet-") &&
					strings.Contains(f.Message, ":security-group/sg-") && strings.Contains(f.Message, ":network-interface/*")
			}) {
				t.Errorf("no finding names the subnets, group and interfaces of ec2:CreateNetworkInterface: %+v", w.Findings)
			}
			if !slices.ContainsFunc(w.Recommendations, func(r string) bool {
				return strings.Contains(r, "AWSLambdaVPCAccessExecutionRole") && strings.Contains(r, "--role-name notifier")
			}) {
				t.Errorf("recommendations %q, want the managed policy to attach, by hand", w.Recommendations)
			}
		},
	}, {
		name: "a healthy function behind a NAT gateway per zone", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			n.VPC.NATPerAZ(n.Public, n.Private)
			return s.Function("notifier", s.Role("notifier", vpcAccess(), scenario.Inline(snsPublish)), scenario.InVPC(n.Private, n.VPC.SecurityGroup("notifier"))), nil
		},
		check: func(t *testing.T, w report.Workload) {
			if why := needsWhy(w, "sns"); !strings.Contains(why, "sns:Publish") {
				t.Errorf("needs %+v, want sns from the role's policy", w.Needs)
			}
		},
	}, {
		name: "nothing inferred: unknown, saying how to declare the needs", status: report.StatusUnknown,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			return s.Function("opaque", s.Role("opaque", vpcAccess()), scenario.InVPC(n.Private, n.VPC.SecurityGroup("opaque"))), nil
		},
		check: func(t *testing.T, w report.Workload) {
			i := slices.IndexFunc(w.Findings, func(f report.Finding) bool { return f.CheckID == "VM108" && f.Unverified })
			if i < 0 || !strings.Contains(w.Findings[i].Message, "vpcmedic:needs") {
				t.Errorf("findings %+v, want VM108 unverified naming the tag", w.Findings)
			}
		},
	}, {
		name: "the tags add SQS and remove SNS", status: report.StatusBroken,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			fn := s.Function("tagged", s.Role("tagged", vpcAccess(), scenario.Inline(snsPublish)), scenario.InVPC(n.Private, n.VPC.SecurityGroup("tagged")))
			fn.Tag("vpcmedic:needs", "sqs").Tag("vpcmedic:ignore", "sns")
			return fn, unreachable(n.Private, []string{"sqs"}, "needed because tag vpcmedic:needs=sqs")
		},
		check: func(t *testing.T, w report.Workload) {
			if !slices.Equal(w.Ignored, []string{"sns"}) {
				t.Errorf("ignored %v, want [sns]", w.Ignored)
			}
		},
	}, {
		name: "vpcmedic:ignore=* says there is nothing to check", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			fn := s.Function("quiet", s.Role("quiet", vpcAccess(), scenario.Inline(snsPublish)), scenario.InVPC(n.Private, n.VPC.SecurityGroup("quiet")))
			fn.Tag("vpcmedic:ignore", "*")
			return fn, nil
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fn, want := seedCase(t, tt.seed)
			d := build(t, srv, app.OnLambdaChange)
			rep := handle(t, d, functionCreated(t, fn))
			if tt.status == report.StatusUnknown {
				if len(rep.Workloads) != 1 || rep.Workloads[0].Status != tt.status {
					t.Fatalf("workloads %+v, want %s unknown", rep.Workloads, fn.Name)
				}
			} else {
				wantDiagnosis(t, rep, fn.ARN, tt.status, want)
			}
			if tt.check != nil && len(rep.Workloads) == 1 {
				tt.check(t, rep.Workloads[0])
			}
		})
	}
}

// An update that does not touch the VPC configuration (no vpcConfig in
// the request) is checked against the function's current configuration.
func TestFunctionUpdateWithoutVPCConfigKeepsTheCurrentOne(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	b := blogFunction(s, true)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	d := build(t, srv, app.OnLambdaChange)
	event := functionEvent(t, "UpdateFunctionConfiguration20150331v2", b.Fn, map[string]any{"functionName": b.Fn.Name, "memorySize": 512})
	rep := handle(t, d, event)
	wantDiagnosis(t, rep, b.Fn.ARN, report.StatusBroken, unreachable(b.Net.Private, []string{"sns"}, "allows sns:Publish"))

	// Detached since: nothing to check.
	if _, err := lambda.NewFromConfig(srv.MustConfig(t)).UpdateFunctionConfiguration(t.Context(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(b.Fn.Name), VpcConfig: &lambdatypes.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}},
	}); err != nil {
		t.Fatal(err)
	}
	wantSkipped(t, handle(t, d, event), "is not attached to a VPC")
}

// In remediate mode the gaps of a function close through the planner: a
// free gateway endpoint for S3 from public subnets, an interface endpoint
// for SNS. The database pair is reported, never made.
func TestRemediateVPCFunctions(t *testing.T) {
	t.Run("a function in public subnets needing S3 gets a gateway endpoint", func(t *testing.T) {
		srv := emulator.Shared(t)
		s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
		n := twoZones(s)
		fn := s.Function("report-reader", s.Role("report-reader", vpcAccess(), scenario.Inline(readReports)),
			scenario.InVPC(n.Public, n.VPC.SecurityGroup("reader")))
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		useEmulatorEnv(t, srv)
		t.Setenv("MODE", "remediate")
		rep := handle(t, buildFromEnv(t, app.OnLambdaChange), functionCreated(t, fn))
		if len(rep.Workloads) != 1 || rep.Workloads[0].Before != report.StatusBroken || rep.Workloads[0].Status != report.StatusOK {
			t.Fatalf("workloads %+v, changes %+v: want broken -> ok", rep.Workloads, rep.Changes)
		}
		eps := liveEndpoints(t, srv, n.VPC.ID)
		if len(eps) != 1 || string(eps[0].VpcEndpointType) != "Gateway" || aws.ToString(eps[0].ServiceName) != "com.amazonaws.us-east-1.s3" ||
			!slices.Contains(eps[0].RouteTableIds, n.Public[0].RouteTableID) {
			t.Errorf("endpoints %+v, want one S3 gateway endpoint on %s", eps, n.Public[0].RouteTableID)
		}
	})
	t.Run("the blog function gets an SNS endpoint; its database rules stay a recommendation", func(t *testing.T) {
		srv := emulator.Shared(t)
		s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
		b := blogFunction(s, false)
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		_, w, oc := remediateOne(t, srv, functionCreated(t, b.Fn))
		if w.Before != report.StatusBroken || w.Status != report.StatusBroken {
			t.Errorf("before %s -> after %s, want broken -> broken (the database pair is not vpcmedic's to add)", w.Before, w.Status)
		}
		for _, f := range w.Findings {
			if f.Severity == report.SeverityError && f.Check != "database-access" {
				t.Errorf("after remediation: %s %s", f.Check, f.Message)
			}
		}
		eps := liveEndpoints(t, srv, b.Net.VPC.ID)
		if len(eps) != 1 || aws.ToString(eps[0].ServiceName) != "com.amazonaws.us-east-1.sns" {
			t.Errorf("endpoints %+v, want the sns interface endpoint", eps)
		}
		alerts := oc.received(t)
		if len(alerts) != 1 || !strings.Contains(alerts[0].Message, "policy LambdaExecRole-inline-1 (inline, role LambdaExecRole) allows sns:Publish") ||
			!strings.Contains(alerts[0].Message, "environment variable RDS_HOST names "+b.DB.Host) {
			t.Errorf("alerts %+v, want one saying which policy and variable made SNS and the database required", alerts)
		}
	})
}
