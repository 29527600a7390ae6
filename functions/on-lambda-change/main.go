// Command on-lambda-change is vpcmedic's on-lambda-change Lambda function. Outside Lambda it runs
// once on the event given with -event (or stdin) and prints its report.
package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/runner"
)

func main() {
	runner.Main(app.OnLambdaChange, func(cfg *aws.Config) {
		awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	})
}
