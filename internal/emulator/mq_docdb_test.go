package emulator

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	mqtypes "github.com/aws/aws-sdk-go-v2/service/mq/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Lambda API reference (CreateEventSourceMapping, EventSourceMappingConfiguration):
// an Amazon MQ mapping names one queue (Queues) and a BASIC_AUTH secret; a
// DocumentDB mapping names its database in DocumentDBEventSourceConfig, whose
// FullDocument defaults to "Default".
func TestMQAndDocumentDBEventSourceMappings(t *testing.T) {
	f := newFixture(t)
	f.function("mq-consumer", nil)
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:broker-creds"
	broker := "arn:aws:mq:us-east-1:123456789012:broker:orders:b-0123456789ab-cdef"
	cluster := "arn:aws:rds:us-east-1:123456789012:cluster:orders-docs"

	mqESM, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("mq-consumer"), EventSourceArn: aws.String(broker), Queues: []string{"orders"},
		SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{
			{Type: lambdatypes.SourceAccessTypeBasicAuth, URI: aws.String(secret)},
			{Type: lambdatypes.SourceAccessTypeVirtualHost, URI: aws.String("/prod")},
		},
	})
	if err != nil {
		t.Fatalf("create MQ mapping: %v", err)
	}
	got, err := f.lambda.GetEventSourceMapping(f.ctx, &lambda.GetEventSourceMappingInput{UUID: mqESM.UUID})
	if err != nil {
		t.Fatalf("get MQ mapping: %v", err)
	}
	if aws.ToString(got.EventSourceArn) != broker || len(got.Queues) != 1 || got.Queues[0] != "orders" || len(got.SourceAccessConfigurations) != 2 {
		t.Errorf("MQ mapping = %s %v %v, want its broker, queue and both access configurations", aws.ToString(got.EventSourceArn), got.Queues, got.SourceAccessConfigurations)
	}
	if got.StartingPosition != "" {
		t.Errorf("MQ mapping StartingPosition = %q, want none", got.StartingPosition)
	}

	if _, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("mq-consumer"), EventSourceArn: aws.String(broker), Queues: []string{"orders"},
	}); err == nil {
		t.Error("MQ mapping without a BASIC_AUTH secret was accepted")
	}

	docESM, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("mq-consumer"), EventSourceArn: aws.String(cluster), StartingPosition: lambdatypes.EventSourcePositionLatest,
		DocumentDBEventSourceConfig: &lambdatypes.DocumentDBEventSourceConfig{DatabaseName: aws.String("shop")},
		SourceAccessConfigurations:  []lambdatypes.SourceAccessConfiguration{{Type: lambdatypes.SourceAccessTypeBasicAuth, URI: aws.String(secret)}},
		ProvisionedPollerConfig:     &lambdatypes.ProvisionedPollerConfig{MinimumPollers: aws.Int32(1)},
	})
	if err != nil {
		t.Fatalf("create DocumentDB mapping: %v", err)
	}
	doc, err := f.lambda.GetEventSourceMapping(f.ctx, &lambda.GetEventSourceMappingInput{UUID: docESM.UUID})
	if err != nil {
		t.Fatalf("get DocumentDB mapping: %v", err)
	}
	c := doc.DocumentDBEventSourceConfig
	if c == nil || aws.ToString(c.DatabaseName) != "shop" || c.FullDocument != lambdatypes.FullDocumentDefault || doc.ProvisionedPollerConfig == nil {
		t.Errorf("DocumentDB mapping config = %+v, poller %+v; want database shop, FullDocument Default, provisioned", c, doc.ProvisionedPollerConfig)
	}
	if _, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("mq-consumer"), EventSourceArn: aws.String(cluster),
	}); err == nil {
		t.Error("DocumentDB mapping without DocumentDBEventSourceConfig was accepted")
	}
}

// DocumentDB API reference (CreateDBCluster): Engine docdb, default port 27017;
// the cluster's groups and subnet group read back through DescribeDBClusters.
// Amazon MQ REST API reference (DescribeBroker): SubnetIds, SecurityGroups and
// the endpoints of each broker instance.
func TestDocumentDBClusterAndMQBrokerNetwork(t *testing.T) {
	f := newFixture(t)
	cfg := f.srv.MustConfig(t)
	vpc, subnet := f.subnet("10.61.0.0/16")
	group := f.securityGroup(vpc)
	rdsClient := rds.NewFromConfig(cfg)
	if _, err := rdsClient.CreateDBSubnetGroup(f.ctx, &rds.CreateDBSubnetGroupInput{
		DBSubnetGroupName: aws.String("docs-subnets"), DBSubnetGroupDescription: aws.String("docs"), SubnetIds: []string{subnet},
	}); err != nil {
		t.Fatalf("create subnet group: %v", err)
	}
	out, err := rdsClient.CreateDBCluster(f.ctx, &rds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String("docs"), Engine: aws.String("docdb"), MasterUsername: aws.String("admin"),
		MasterUserPassword: aws.String("correct-horse"), DBSubnetGroupName: aws.String("docs-subnets"), VpcSecurityGroupIds: []string{group},
	})
	if err != nil {
		t.Fatalf("create docdb cluster: %v", err)
	}
	c := out.DBCluster
	if aws.ToInt32(c.Port) != 27017 || aws.ToString(c.Engine) != "docdb" || aws.ToString(c.DBSubnetGroup) != "docs-subnets" ||
		len(c.VpcSecurityGroups) != 1 || aws.ToString(c.VpcSecurityGroups[0].VpcSecurityGroupId) != group {
		t.Errorf("cluster = port %d engine %s subnet group %s groups %v", aws.ToInt32(c.Port), aws.ToString(c.Engine), aws.ToString(c.DBSubnetGroup), c.VpcSecurityGroups)
	}

	mqClient := mq.NewFromConfig(cfg)
	for engine, want := range map[mqtypes.EngineType]string{mqtypes.EngineTypeActivemq: "ssl://", mqtypes.EngineTypeRabbitmq: "amqps://"} {
		b, err := mqClient.CreateBroker(f.ctx, &mq.CreateBrokerInput{
			BrokerName: aws.String("b-" + string(engine)), DeploymentMode: mqtypes.DeploymentModeSingleInstance, EngineType: engine,
			EngineVersion: aws.String("5.17.6"), HostInstanceType: aws.String("mq.t3.micro"), PubliclyAccessible: aws.Bool(false),
			AutoMinorVersionUpgrade: aws.Bool(true), SubnetIds: []string{subnet}, SecurityGroups: []string{group},
			Users: []mqtypes.User{{Username: aws.String("u"), Password: aws.String("long-enough-pw")}},
		})
		if err != nil {
			t.Fatalf("create %s broker: %v", engine, err)
		}
		d, err := mqClient.DescribeBroker(f.ctx, &mq.DescribeBrokerInput{BrokerId: b.BrokerId})
		if err != nil {
			t.Fatalf("describe broker: %v", err)
		}
		if len(d.SubnetIds) != 1 || d.SubnetIds[0] != subnet || len(d.SecurityGroups) != 1 || d.SecurityGroups[0] != group ||
			len(d.BrokerInstances) == 0 || len(d.BrokerInstances[0].Endpoints) == 0 || !startsWith(d.BrokerInstances[0].Endpoints[0], want) {
			t.Errorf("%s broker = subnets %v groups %v instances %+v", engine, d.SubnetIds, d.SecurityGroups, d.BrokerInstances)
		}
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
