package needs

import "strings"

// managedOwnService names the endpoint service each AWS managed policy is
// made for, by the policy's name: the policy is evidence of a need for
// that service only. The other services such a policy grants serve the
// console features of its own (AmazonDynamoDBFullAccess also grants
// cloudwatch, sns, kinesis, lambda, kms, ec2 ... for alarms, triggers and
// streams), so they only suggest a need. The names and their contents are
// those of the AWS Managed Policy Reference
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/), as bundled
// with moto (moto.iam.aws_managed_policies).
var managedOwnService = map[string]string{
	"AmazonSNSFullAccess": "sns", "AmazonSNSReadOnlyAccess": "sns",
	"AmazonSQSFullAccess": "sqs", "AmazonSQSReadOnlyAccess": "sqs",
	"SecretsManagerReadWrite": "secretsmanager", "AWSSecretsManagerClientReadOnlyAccess": "secretsmanager",
	"AmazonSSMFullAccess": "ssm", "AmazonSSMReadOnlyAccess": "ssm",
	"AWSKeyManagementServicePowerUser": "kms",
	"AmazonS3FullAccess":               "s3", "AmazonS3ReadOnlyAccess": "s3",
	"AmazonDynamoDBFullAccess": "dynamodb", "AmazonDynamoDBFullAccess_v2": "dynamodb",
	"AmazonDynamoDBFullAccesswithDataPipeline": "dynamodb", "AmazonDynamoDBReadOnlyAccess": "dynamodb",
	"AWSLambda_FullAccess": "lambda", "AWSLambda_ReadOnlyAccess": "lambda", "AWSLambdaRole": "lambda",
	"AmazonKinesisFullAccess": "kinesis", "AmazonKinesisReadOnlyAccess": "kinesis",
	"AmazonKinesisFirehoseFullAccess": "firehose", "AmazonKinesisFirehoseReadOnlyAccess": "firehose",
	"AmazonEventBridgeFullAccess": "events", "AmazonEventBridgeReadOnlyAccess": "events",
	"AWSStepFunctionsFullAccess": "states", "AWSStepFunctionsReadOnlyAccess": "states", "AWSStepFunctionsConsoleFullAccess": "states",
	"CloudWatchFullAccess": "monitoring", "CloudWatchFullAccessV2": "monitoring", "CloudWatchReadOnlyAccess": "monitoring",
	"CloudWatchAgentServerPolicy": "monitoring",
	"AmazonSESFullAccess":         "email", "AmazonSESReadOnlyAccess": "email",
	"AmazonAPIGatewayInvokeFullAccess": "execute-api",
	"AmazonRDSDataFullAccess":          "rds-data",
	"AmazonEC2FullAccess":              "ec2", "AmazonEC2ReadOnlyAccess": "ec2",
}

// awsManagedPolicy returns the name of an AWS managed policy from its ARN
// (arn:aws:iam::aws:policy/[path/]NAME), and false for any other policy.
func awsManagedPolicy(policyARN string) (string, bool) {
	_, rest, ok := strings.Cut(policyARN, ":iam::aws:policy/")
	if !ok {
		return "", false
	}
	return rest[strings.LastIndex(rest, "/")+1:], true
}
