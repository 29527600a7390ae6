package topology

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// accountBPA is what was read of the account's VPC Block Public Access
// setting in the Region, before it is filed under each VPC.
type accountBPA struct {
	read       bool
	mode       string
	exclusions []types.VpcBlockPublicAccessExclusion
}

// exclusionsInEffect are the exclusion states that exempt their VPC or
// subnet; the others are being created, changed or removed, failed, or gone.
var exclusionsInEffect = []string{
	string(types.VpcBlockPublicAccessExclusionStateCreateComplete),
	string(types.VpcBlockPublicAccessExclusionStateUpdateComplete),
}

// readBlockPublicAccess reads the account's BPA mode and, unless it is off
// (exclusions then change nothing), the exclusions in effect. The mode is
// the rule: Vpc.BlockPublicAccessStates is only a summary. Without
// permission to read either, nothing is known (read stays false) and the
// read goes on; any other error fails it.
func (r *Reader) readBlockPublicAccess(ctx context.Context, into *accountBPA) error {
	opts, err := r.EC2.DescribeVpcBlockPublicAccessOptions(ctx, &ec2.DescribeVpcBlockPublicAccessOptionsInput{})
	if accessDenied(err) {
		return nil
	}
	if err != nil {
		return err
	}
	mode := network.BPAOff
	if o := opts.VpcBlockPublicAccessOptions; o != nil && o.InternetGatewayBlockMode != "" {
		mode = string(o.InternetGatewayBlockMode)
	}
	var exclusions []types.VpcBlockPublicAccessExclusion
	if mode != network.BPAOff {
		exclusions, err = r.exclusionsInEffect(ctx)
		if accessDenied(err) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	*into = accountBPA{read: true, mode: mode, exclusions: exclusions}
	return nil
}

// exclusionsInEffect lists the account's exclusions in effect in one
// paginated listing. The resource-arn filter could select a VPC's own
// exclusion but not its subnets' before their IDs are known, so the listing
// is filtered by state only and filed by VPC in memory.
func (r *Reader) exclusionsInEffect(ctx context.Context) ([]types.VpcBlockPublicAccessExclusion, error) {
	in := &ec2.DescribeVpcBlockPublicAccessExclusionsInput{
		Filters: []types.Filter{{Name: aws.String("state"), Values: exclusionsInEffect}},
	}
	var out []types.VpcBlockPublicAccessExclusion
	for {
		page, err := r.EC2.DescribeVpcBlockPublicAccessExclusions(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, e := range page.VpcBlockPublicAccessExclusions {
			if slices.Contains(exclusionsInEffect, string(e.State)) {
				out = append(out, e)
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// apply files the setting under every snapshot, with the exclusions of the
// VPC and of its subnets.
func (b accountBPA) apply(snaps map[string]*network.Snapshot) {
	vpcOfSubnet := map[string]string{}
	for id, s := range snaps {
		s.BlockPublicAccess = network.BlockPublicAccess{Read: b.read, Mode: b.mode}
		for _, sn := range s.Subnets {
			vpcOfSubnet[sn.ID] = id
		}
	}
	for _, e := range b.exclusions {
		kind, id := excludedResource(aws.ToString(e.ResourceArn))
		mode := string(e.InternetGatewayExclusionMode)
		var s *network.Snapshot
		switch kind {
		case "vpc":
			s = snaps[id]
		case "subnet":
			s = snaps[vpcOfSubnet[id]]
		}
		if s == nil {
			continue // another VPC's, or a resource kind BPA does not exempt
		}
		bpa := &s.BlockPublicAccess
		if kind == "vpc" {
			bpa.VPCExclusion = mode
		} else {
			if bpa.SubnetExclusions == nil {
				bpa.SubnetExclusions = map[string]string{}
			}
			bpa.SubnetExclusions[id] = mode
		}
		if bpa.ExclusionIDs == nil {
			bpa.ExclusionIDs = map[string]string{}
		}
		bpa.ExclusionIDs[id] = aws.ToString(e.ExclusionId)
	}
}

// excludedResource splits an exclusion's resource ARN,
// arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-… or …:subnet/subnet-…, into the
// resource type and ID.
func excludedResource(arn string) (kind, id string) {
	resource := arn[strings.LastIndex(arn, ":")+1:]
	kind, id, ok := strings.Cut(resource, "/")
	if !ok {
		return "", ""
	}
	return kind, id
}

// accessDenied reports whether err is EC2 refusing the caller the action.
func accessDenied(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException":
		return true
	}
	return false
}
