package scenario

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	mqtypes "github.com/aws/aws-sdk-go-v2/service/mq/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Broker is an Amazon MQ broker created by a Scenario.
type Broker struct {
	ID   string
	ARN  string
	Name string
	// Engine is ACTIVEMQ or RABBITMQ.
	Engine string
}

// MQBroker creates a private single-instance Amazon MQ broker (engine
// ACTIVEMQ or RABBITMQ) in the first of subnets with sg.
func (s *Scenario) MQBroker(name, engine string, subnets Subnets, sg *SG) *Broker {
	b := &Broker{Name: name, Engine: engine}
	version := "5.18"
	if engine == string(mqtypes.EngineTypeRabbitmq) {
		version = "3.13"
	}
	s.do("create mq broker "+name, func(ctx context.Context) error {
		out, err := s.mq.CreateBroker(ctx, &mq.CreateBrokerInput{
			BrokerName: aws.String(name), EngineType: mqtypes.EngineType(engine), EngineVersion: aws.String(version),
			DeploymentMode: mqtypes.DeploymentModeSingleInstance, HostInstanceType: aws.String("mq.m5.large"),
			PubliclyAccessible: aws.Bool(false), AutoMinorVersionUpgrade: aws.Bool(true),
			SubnetIds: subnets.IDs()[:1], SecurityGroups: []string{sg.ID},
			Users: []mqtypes.User{{Username: aws.String("consumer"), Password: aws.String("scenario-password-1")}},
		})
		if err != nil {
			return err
		}
		b.ID, b.ARN = aws.ToString(out.BrokerId), aws.ToString(out.BrokerArn)
		return nil
	})
	return b
}

// MQESM maps a queue of broker to fn, authenticating with the BASIC_AUTH
// secret the Lambda API requires of Amazon MQ mappings.
func (s *Scenario) MQESM(fn *Function, broker *Broker, queue, secretARN string, opts ...ESMOption) *ESM {
	e := s.newESM(fn, "", append([]ESMOption{Secret(secretARN, "BASIC_AUTH")}, opts...))
	e.EventSourceARN = broker.ARN
	in := e.input()
	in.Topics, in.StartingPosition = nil, ""
	in.EventSourceArn = aws.String(broker.ARN)
	in.Queues = []string{queue}
	s.createESM(fmt.Sprintf("create mq event source mapping %s -> %s", broker.Name, fn.Name), e, in)
	return e
}

// DocDBCluster is a DocumentDB cluster created by a Scenario.
type DocDBCluster struct {
	Identifier string
	ARN        string
	Port       int32
}

// DocDBCluster creates a DocumentDB cluster in subnets (its DB subnet
// group) with sg.
func (v *VPC) DocDBCluster(identifier string, subnets Subnets, sg *SG) *DocDBCluster {
	c := &DocDBCluster{Identifier: identifier}
	group := identifier + "-subnets"
	v.s.do("create db subnet group "+group, func(ctx context.Context) error {
		_, err := v.s.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
			DBSubnetGroupName: aws.String(group), DBSubnetGroupDescription: aws.String("subnets of " + identifier),
			SubnetIds: subnets.IDs(),
		})
		return err
	})
	v.s.do("create docdb cluster "+identifier, func(ctx context.Context) error {
		out, err := v.s.rds.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
			DBClusterIdentifier: aws.String(identifier), Engine: aws.String("docdb"),
			MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("scenario-password-1"),
			DBSubnetGroupName: aws.String(group), VpcSecurityGroupIds: []string{sg.ID},
		})
		if err != nil {
			return err
		}
		c.ARN, c.Port = aws.ToString(out.DBCluster.DBClusterArn), aws.ToInt32(out.DBCluster.Port)
		return nil
	})
	return c
}

// DocDBESM maps the change stream of database in cluster to fn,
// authenticating with a BASIC_AUTH secret.
func (s *Scenario) DocDBESM(fn *Function, cluster *DocDBCluster, database, secretARN string, opts ...ESMOption) *ESM {
	e := s.newESM(fn, "", append([]ESMOption{Secret(secretARN, "BASIC_AUTH")}, opts...))
	e.EventSourceARN = cluster.ARN
	in := e.input()
	in.Topics = nil
	in.EventSourceArn = aws.String(cluster.ARN)
	in.DocumentDBEventSourceConfig = &lambdatypes.DocumentDBEventSourceConfig{DatabaseName: aws.String(database)}
	s.createESM(fmt.Sprintf("create docdb event source mapping %s -> %s", cluster.Identifier, fn.Name), e, in)
	return e
}
