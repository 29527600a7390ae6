// Command demo runs vpcmedic end to end on a workstation, without an AWS
// account: it starts the local AWS emulator, seeds a broken network (an
// on-demand MSK event source mapping whose cluster sits in private subnets
// with no NAT gateway and no PrivateLink endpoints), delivers the
// CreateEventSourceMapping event CloudTrail would send, and runs the
// on-lambda-change handler on it exactly as the command line does.
//
//	go run ./internal/demo [-format text|json]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func main() {
	format := flag.String("format", "text", "report format: text or json")
	flag.Parse()
	if err := run(*format); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

func run(format string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	say("starting the local AWS emulator (moto) on 127.0.0.1 ...")
	srv, err := emulator.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	cfg, err := srv.Config(ctx)
	if err != nil {
		return err
	}

	say("seeding a broken network ...")
	s := scenario.New(cfg, scenario.WithContext(ctx))
	w := scenario.BrokenOnDemandMSK(s)
	if err := s.Err(); err != nil {
		return fmt.Errorf("seed the scenario: %w", err)
	}
	say("  VPC %s: public subnets %s, private subnets %s", w.VPC.ID, strings.Join(w.Public.IDs(), ", "), strings.Join(w.Private.IDs(), ", "))
	say("  MSK cluster %s (IAM auth) in the private subnets, no NAT gateway, no VPC endpoints", w.Cluster.ARN)
	say("  on-demand Kafka event source mapping %s for function %s", w.ESM.UUID, w.Function.Name)

	dir, err := os.MkdirTemp("", "vpcmedic-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	eventPath := filepath.Join(dir, "CreateEventSourceMapping.json")
	event := createESMEvent(w, time.Now().UTC())
	if err := os.WriteFile(eventPath, []byte(event), 0o600); err != nil {
		return err
	}

	// The handler reads its configuration from the environment, as it does
	// in Lambda and on the command line.
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	os.Setenv("AWS_MAX_ATTEMPTS", "1")
	os.Setenv("MODE", "alarm")
	os.Unsetenv("AWS_PROFILE")

	say("delivering CreateEventSourceMapping20150331 for %s to %s (%s)\n", w.ESM.UUID, app.OnLambdaChange, eventPath)
	if code := runner.RunOnce(app.OnLambdaChange, []string{"-event", eventPath, "-format", format}, os.Stdin, os.Stdout, os.Stderr); code != 0 {
		return fmt.Errorf("%s exited with %d", app.OnLambdaChange, code)
	}
	return nil
}

// say writes the demo's narration to stderr, so that stdout is only the
// report (and -format json pipes into jq).
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// createESMEvent is the event CloudTrail delivers to EventBridge when the
// mapping is created.
func createESMEvent(w *scenario.MSKWorkload, now time.Time) string {
	return fmt.Sprintf(`{
  "version": "0",
  "id": "0d9f6a4e-8c1b-4e7a-9b0c-2f4d5e6a7b8c",
  "detail-type": "AWS API Call via CloudTrail",
  "source": "aws.lambda",
  "account": %[1]q,
  "time": %[2]q,
  "region": %[3]q,
  "resources": [],
  "detail": {
    "eventVersion": "1.09",
    "userIdentity": {
      "type": "AssumedRole",
      "arn": "arn:aws:sts::%[1]s:assumed-role/PlatformDeploy/ci",
      "accountId": %[1]q,
      "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::%[1]s:role/PlatformDeploy"}}
    },
    "eventTime": %[2]q,
    "eventSource": "lambda.amazonaws.com",
    "eventName": "CreateEventSourceMapping20150331",
    "awsRegion": %[3]q,
    "requestParameters": {
      "eventSourceArn": %[4]q,
      "functionName": %[5]q,
      "topics": ["orders"],
      "startingPosition": "LATEST"
    },
    "responseElements": {
      "uUID": %[6]q,
      "eventSourceArn": %[4]q,
      "functionArn": %[7]q,
      "state": "Creating",
      "topics": ["orders"]
    },
    "eventID": "5b2c7e1a-3d4f-4a6b-8c9d-0e1f2a3b4c5d",
    "readOnly": false,
    "eventType": "AwsApiCall",
    "recipientAccountId": %[1]q
  }
}`, emulator.Account, now.Format(time.RFC3339), emulator.Region, w.Cluster.ARN, w.Function.Name, w.ESM.UUID, w.Function.ARN)
}
