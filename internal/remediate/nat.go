package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// allocateAddress allocates the Elastic IP of a new NAT gateway. Nothing
// is allocated when the subnet already holds a NAT gateway, or when an
// Elastic IP that vpcmedic allocated earlier lies unused (left by a NAT
// gateway that could not be created): AllocateAddress takes no client
// token, so this is what keeps a retry from paying for a second address.
func (r *run) allocateAddress(ctx context.Context, c plan.Change) (Outcome, error) {
	subnet := c.SubnetIDs[0]
	nat, found, err := r.natIn(ctx, subnet)
	if err != nil {
		return Outcome{}, err
	}
	if found {
		id := allocationOf(nat)
		r.addresses[c.AllocationID] = id
		return Outcome{Status: report.ChangeUnchanged, ResourceID: id,
			Detail: fmt.Sprintf("NAT gateway %s is already in %s (%s): no address needed", aws.ToString(nat.NatGatewayId), subnet, natStateName(nat.State))}, nil
	}
	out, err := r.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{
		{Name: aws.String("domain"), Values: []string{"vpc"}},
		{Name: aws.String("tag:" + TagManaged), Values: []string{"true"}},
	}})
	if err != nil {
		return Outcome{}, fmt.Errorf("describe Elastic IPs: %w", err)
	}
	for _, a := range out.Addresses {
		id := aws.ToString(a.AllocationId)
		if aws.ToString(a.AssociationId) == "" && aws.ToString(a.NetworkInterfaceId) == "" && id != "" && !r.claimed(id) {
			r.addresses[c.AllocationID] = id
			return Outcome{Status: report.ChangeUnchanged, ResourceID: id,
				Detail: fmt.Sprintf("Elastic IP %s (%s), allocated by vpcmedic earlier and unused, is taken", id, aws.ToString(a.PublicIp))}, nil
		}
	}
	allocated, err := r.EC2.AllocateAddress(ctx, &ec2.AllocateAddressInput{
		Domain: types.DomainTypeVpc, TagSpecifications: r.tagSpec(types.ResourceTypeElasticIp, c)})
	if err != nil {
		return Outcome{}, err
	}
	id := aws.ToString(allocated.AllocationId)
	r.addresses[c.AllocationID] = id
	return Outcome{Status: report.ChangeCreated, ResourceID: id,
		Detail: fmt.Sprintf("allocated Elastic IP %s (%s) for the NAT gateway in %s", id, aws.ToString(allocated.PublicIp), subnet)}, nil
}

// claimed reports an allocation that an earlier change of this run took.
func (r *run) claimed(id string) bool {
	for _, taken := range r.addresses {
		if taken == id {
			return true
		}
	}
	return false
}

// createNATGateway creates a public NAT gateway in the subnet unless one is
// already there (a pending one is waited for), then waits until it is
// available, so that the routes to it carry traffic when they are added.
func (r *run) createNATGateway(ctx context.Context, c plan.Change) (Outcome, error) {
	subnet := c.SubnetIDs[0]
	nat, found, err := r.natIn(ctx, subnet)
	if err != nil {
		return Outcome{}, err
	}
	if found {
		id := aws.ToString(nat.NatGatewayId)
		r.nats[c.NATGatewayID] = id
		r.natStates[id] = nat.State
		o := Outcome{Status: report.ChangeUnchanged, ResourceID: id,
			Detail: fmt.Sprintf("NAT gateway %s is already in %s (%s)", id, subnet, natStateName(nat.State))}
		if nat.State == types.NatGatewayStateAvailable {
			return o, nil
		}
		return r.settleNAT(ctx, o)
	}
	allocation, ok := r.addresses[c.AllocationID]
	if !ok {
		if placeholder(c.AllocationID) {
			return Outcome{Status: report.ChangeSkipped, Detail: fmt.Sprintf("Elastic IP %s was not allocated by an earlier change", c.AllocationID)}, nil
		}
		allocation = c.AllocationID
	}
	in := &ec2.CreateNatGatewayInput{
		SubnetId:          aws.String(subnet),
		AllocationId:      aws.String(allocation),
		ConnectivityType:  types.ConnectivityTypePublic,
		TagSpecifications: r.tagSpec(types.ResourceTypeNatgateway, c),
	}
	if r.req.EventID != "" {
		in.ClientToken = aws.String(clientToken(r.req.EventID, c))
	}
	out, err := r.EC2.CreateNatGateway(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	if out.NatGateway == nil || aws.ToString(out.NatGateway.NatGatewayId) == "" {
		return Outcome{}, fmt.Errorf("CreateNatGateway returned no NAT gateway")
	}
	id := aws.ToString(out.NatGateway.NatGatewayId)
	r.nats[c.NATGatewayID] = id
	r.natStates[id] = out.NatGateway.State
	return r.settleNAT(ctx, Outcome{Status: report.ChangeCreated, ResourceID: id,
		Detail: fmt.Sprintf("created NAT gateway %s in %s with Elastic IP %s", id, subnet, allocation)})
}

// settleNAT waits, within WaitNATAvailable, until the outcome's NAT gateway
// is no longer pending, and says how it ended. A gateway still pending is
// not a failure of its own: the routes to it fail, and a retry adds them.
func (r *run) settleNAT(ctx context.Context, o Outcome) (Outcome, error) {
	id := o.ResourceID
	interval := min(pollInterval, r.WaitNATAvailable)
	polls := 0
	if interval > 0 {
		polls = int((r.WaitNATAvailable + interval - 1) / interval)
	}
	for poll := 0; ; poll++ {
		nats, err := r.describeNATs(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
		if err != nil {
			o.Detail += fmt.Sprintf("; could not read its state: %v", err)
			return o, nil
		}
		if i := slices.IndexFunc(nats, func(n types.NatGateway) bool { return aws.ToString(n.NatGatewayId) == id }); i >= 0 {
			r.natStates[id] = nats[i].State
		}
		if r.natStates[id] != types.NatGatewayStatePending || poll >= polls || r.sleep(ctx, interval) != nil {
			break
		}
	}
	switch state := r.natStates[id]; state {
	case types.NatGatewayStateAvailable:
		o.Detail += "; available"
	case types.NatGatewayStatePending:
		o.Detail += fmt.Sprintf("; still pending after %s", r.WaitNATAvailable)
	default:
		o.Status = report.ChangeFailed
		o.Detail += "; then it became " + natStateName(state)
		return o, fmt.Errorf("NAT gateway %s is %s", id, natStateName(state))
	}
	return o, nil
}

// natIn finds the public NAT gateway that serves or will serve in a
// subnet: an available one first, else a pending one.
func (r *run) natIn(ctx context.Context, subnet string) (types.NatGateway, bool, error) {
	nats, err := r.describeNATs(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{
		{Name: aws.String("subnet-id"), Values: []string{subnet}},
	}})
	if err != nil {
		return types.NatGateway{}, false, fmt.Errorf("describe NAT gateways in %s: %w", subnet, err)
	}
	for _, want := range []types.NatGatewayState{types.NatGatewayStateAvailable, types.NatGatewayStatePending} {
		for _, n := range nats {
			if n.State == want && n.ConnectivityType != types.ConnectivityTypePrivate && aws.ToString(n.SubnetId) == subnet {
				return n, true, nil
			}
		}
	}
	return types.NatGateway{}, false, nil
}

func (r *run) describeNATs(ctx context.Context, in *ec2.DescribeNatGatewaysInput) ([]types.NatGateway, error) {
	var out []types.NatGateway
	p := ec2.NewDescribeNatGatewaysPaginator(r.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, page.NatGateways...)
	}
	return out, nil
}

// allocationOf is the Elastic IP allocation of a public NAT gateway.
func allocationOf(n types.NatGateway) string {
	for _, a := range n.NatGatewayAddresses {
		if id := aws.ToString(a.AllocationId); id != "" {
			return id
		}
	}
	return ""
}

func natStateName(s types.NatGatewayState) string {
	if s == "" {
		return "unknown"
	}
	return strings.ToLower(string(s))
}
