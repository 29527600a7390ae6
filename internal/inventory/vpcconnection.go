package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// Scoped returns a reader that remembers cluster and VPC connection reads
// for the length of one run, so that many mappings on one source cost one
// read.
func (r *Reader) Scoped() *Reader {
	scoped := *r
	scoped.cache = &clusterCache{
		clusters: map[string]*kafka.DescribeClusterV2Output{},
		brokers:  map[string]*kafka.GetBootstrapBrokersOutput{},
	}
	return &scoped
}

// vpcConnection reads the managed VPC connection of a cross-account
// mapping: the connection belongs to this account, so its state is
// readable here although the cluster's network is not. A connection that is gone is Missing; one this account may not
// read is Unreadable, with the reason. Other errors are returned (a retry
// may help).
func (r *Reader) vpcConnection(ctx context.Context, arn string) (*workload.VPCConnection, error) {
	if r.cache != nil {
		if c, ok := r.cache.connections[arn]; ok {
			return c, nil
		}
	}
	c, err := r.describeVPCConnection(ctx, arn)
	if err == nil && r.cache != nil {
		if r.cache.connections == nil {
			r.cache.connections = map[string]*workload.VPCConnection{}
		}
		r.cache.connections[arn] = c
	}
	return c, err
}

func (r *Reader) describeVPCConnection(ctx context.Context, arn string) (*workload.VPCConnection, error) {
	conn := &workload.VPCConnection{ARN: arn}
	out, err := r.Kafka.DescribeVpcConnection(ctx, &kafka.DescribeVpcConnectionInput{Arn: aws.String(arn)})
	var nf *kafkatypes.NotFoundException
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &nf):
		conn.Missing = true
		return conn, nil
	case errors.As(err, &apiErr) && deniedCodes[apiErr.ErrorCode()]:
		conn.Unreadable = fmt.Sprintf("kafka:DescribeVpcConnection on %s was refused (%s): grant it to vpcmedic's role", arn, apiErr.ErrorCode())
		return conn, nil
	case err != nil:
		return nil, fmt.Errorf("describe VPC connection %s: %w", arn, err)
	}
	conn.State = string(out.State)
	conn.TargetClusterARN = aws.ToString(out.TargetClusterArn)
	conn.Authentication = aws.ToString(out.Authentication)
	conn.VPCID = aws.ToString(out.VpcId)
	conn.SubnetIDs = out.Subnets
	conn.SecurityGroupIDs = out.SecurityGroups
	return conn, nil
}

// deniedCodes are the MSK (and generic IAM) error codes of a call the
// caller may not make.
var deniedCodes = map[string]bool{
	"ForbiddenException":    true,
	"UnauthorizedException": true,
	"AccessDeniedException": true,
}
