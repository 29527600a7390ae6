package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// settleWait bounds the wait for a VPC Block Public Access change to take
// effect (immediate on moto, a few minutes on AWS), polled every settlePoll.
const (
	settleWait = 10 * time.Minute
	settlePoll = 5 * time.Second
)

// BlockPublicAccess sets the account's VPC Block Public Access mode in the
// Region ("off", "block-bidirectional" or "block-ingress") and waits until
// it is in effect. It is an account setting: it applies to every VPC.
func (s *Scenario) BlockPublicAccess(mode string) {
	s.do("set vpc block public access to "+mode, func(ctx context.Context) error {
		if _, err := s.ec2.ModifyVpcBlockPublicAccessOptions(ctx, &ec2.ModifyVpcBlockPublicAccessOptionsInput{
			InternetGatewayBlockMode: ec2types.InternetGatewayBlockMode(mode),
		}); err != nil {
			return err
		}
		return settle(ctx, func(ctx context.Context) (bool, error) {
			out, err := s.ec2.DescribeVpcBlockPublicAccessOptions(ctx, &ec2.DescribeVpcBlockPublicAccessOptionsInput{})
			if err != nil {
				return false, err
			}
			o := out.VpcBlockPublicAccessOptions
			return o != nil && string(o.InternetGatewayBlockMode) == mode && o.State != ec2types.VpcBlockPublicAccessStateUpdateInProgress, nil
		})
	})
}

// ExcludeFromBPA exempts the whole VPC from Block Public Access with mode
// "allow-bidirectional" or "allow-egress", waits until the exclusion is in
// effect and returns its ID.
func (v *VPC) ExcludeFromBPA(mode string) string {
	return v.s.excludeFromBPA("vpc "+v.CIDR, &ec2.CreateVpcBlockPublicAccessExclusionInput{VpcId: aws.String(v.ID)}, mode)
}

// ExcludeSubnetFromBPA exempts one subnet, as ExcludeFromBPA does a VPC.
func (v *VPC) ExcludeSubnetFromBPA(sub *Subnet, mode string) string {
	return v.s.excludeFromBPA("subnet "+sub.CIDR, &ec2.CreateVpcBlockPublicAccessExclusionInput{SubnetId: aws.String(sub.ID)}, mode)
}

func (s *Scenario) excludeFromBPA(what string, in *ec2.CreateVpcBlockPublicAccessExclusionInput, mode string) string {
	var id string
	s.do(fmt.Sprintf("exclude %s from vpc block public access (%s)", what, mode), func(ctx context.Context) error {
		in.InternetGatewayExclusionMode = ec2types.InternetGatewayExclusionMode(mode)
		out, err := s.ec2.CreateVpcBlockPublicAccessExclusion(ctx, in)
		if err != nil {
			return err
		}
		id = aws.ToString(out.VpcBlockPublicAccessExclusion.ExclusionId)
		return settle(ctx, func(ctx context.Context) (bool, error) {
			got, err := s.ec2.DescribeVpcBlockPublicAccessExclusions(ctx, &ec2.DescribeVpcBlockPublicAccessExclusionsInput{ExclusionIds: []string{id}})
			if err != nil {
				return false, err
			}
			for _, e := range got.VpcBlockPublicAccessExclusions {
				switch e.State {
				case ec2types.VpcBlockPublicAccessExclusionStateCreateComplete:
					return true, nil
				case ec2types.VpcBlockPublicAccessExclusionStateCreateFailed:
					return false, fmt.Errorf("exclusion %s failed: %s", id, aws.ToString(e.Reason))
				}
			}
			return false, nil
		})
	})
	return id
}

// settle polls done until it reports true, fails, or settleWait passes.
func settle(ctx context.Context, done func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	for {
		ok, err := done(ctx)
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settlePoll):
		}
	}
}

// EncryptionControl gives the VPC an encryption control in mode ("monitor"
// or "enforce") with the given resource exclusions enabled
// ("internet-gateway", "egress-only-internet-gateway", "nat-gateway",
// "virtual-private-gateway", "vpc-peering", "lambda", "vpc-lattice",
// "elastic-file-system"), and returns its ID.
func (v *VPC) EncryptionControl(mode string, exclusions ...string) string {
	var id string
	v.s.do(fmt.Sprintf("give vpc %s an encryption control (%s, excluding %v)", v.CIDR, mode, exclusions), func(ctx context.Context) error {
		out, err := v.s.ec2.CreateVpcEncryptionControl(ctx, &ec2.CreateVpcEncryptionControlInput{
			VpcId:             aws.String(v.ID),
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeVpcEncryptionControl, v.Name+"-encryption"),
		})
		if err != nil {
			return err
		}
		id = aws.ToString(out.VpcEncryptionControl.VpcEncryptionControlId)
		in := &ec2.ModifyVpcEncryptionControlInput{VpcEncryptionControlId: aws.String(id), Mode: ec2types.VpcEncryptionControlMode(mode)}
		for _, kind := range exclusions {
			field, ok := map[string]*ec2types.VpcEncryptionControlExclusionStateInput{
				"internet-gateway":             &in.InternetGatewayExclusion,
				"egress-only-internet-gateway": &in.EgressOnlyInternetGatewayExclusion,
				"nat-gateway":                  &in.NatGatewayExclusion,
				"virtual-private-gateway":      &in.VirtualPrivateGatewayExclusion,
				"vpc-peering":                  &in.VpcPeeringExclusion,
				"lambda":                       &in.LambdaExclusion,
				"vpc-lattice":                  &in.VpcLatticeExclusion,
				"elastic-file-system":          &in.ElasticFileSystemExclusion,
			}[kind]
			if !ok {
				return fmt.Errorf("unknown encryption control exclusion %q", kind)
			}
			*field = ec2types.VpcEncryptionControlExclusionStateInputEnable
		}
		_, err = v.s.ec2.ModifyVpcEncryptionControl(ctx, in)
		return err
	})
	return id
}
