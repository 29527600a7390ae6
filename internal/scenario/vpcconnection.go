package scenario

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
)

// VPCConnection is a managed VPC connection from this (the client) account
// to an MSK cluster of another account (multi-VPC private connectivity).
type VPCConnection struct {
	ARN              string
	TargetClusterARN string
}

// VPCConnection creates a managed VPC connection to the cluster of another
// account, from subnets of this account's VPC with sg. authentication is
// SASL_IAM, SASL_SCRAM or TLS.
func (s *Scenario) VPCConnection(targetClusterARN string, vpc *VPC, subnets Subnets, sg *SG, authentication string) *VPCConnection {
	c := &VPCConnection{TargetClusterARN: targetClusterARN}
	s.do(fmt.Sprintf("create VPC connection to %s", targetClusterARN), func(ctx context.Context) error {
		out, err := s.kafka.CreateVpcConnection(ctx, &kafka.CreateVpcConnectionInput{
			TargetClusterArn: aws.String(targetClusterARN), Authentication: aws.String(authentication),
			VpcId: aws.String(vpc.ID), ClientSubnets: subnets.IDs(), SecurityGroups: sgIDs(sg),
			Tags: s.tags,
		})
		if err != nil {
			return err
		}
		c.ARN = aws.ToString(out.VpcConnectionArn)
		return nil
	})
	return c
}

// RejectVPCConnection rejects the connection as the cluster's owner does
// (RejectClientVpcConnection): it stays, REJECTED, until its owner deletes it.
func (s *Scenario) RejectVPCConnection(c *VPCConnection) {
	s.do(fmt.Sprintf("reject VPC connection %s", c.ARN), func(ctx context.Context) error {
		_, err := s.kafka.RejectClientVpcConnection(ctx, &kafka.RejectClientVpcConnectionInput{
			ClusterArn: aws.String(c.TargetClusterARN), VpcConnectionArn: aws.String(c.ARN),
		})
		return err
	})
}

// DeleteVPCConnection deletes the connection (its owner's call).
func (s *Scenario) DeleteVPCConnection(c *VPCConnection) {
	s.do(fmt.Sprintf("delete VPC connection %s", c.ARN), func(ctx context.Context) error {
		_, err := s.kafka.DeleteVpcConnection(ctx, &kafka.DeleteVpcConnectionInput{Arn: aws.String(c.ARN)})
		return err
	})
}

// CrossAccountESM maps a topic of the other account's cluster to fn through
// the managed VPC connection: the connection's ARN is the event source.
func (s *Scenario) CrossAccountESM(fn *Function, c *VPCConnection, topic string, opts ...ESMOption) *ESM {
	e := s.newESM(fn, topic, opts)
	e.EventSourceARN = c.ARN
	in := e.input()
	in.EventSourceArn = aws.String(c.ARN)
	s.createESM(fmt.Sprintf("create kafka event source mapping %s -> %s", c.ARN, fn.Name), e, in)
	return e
}
