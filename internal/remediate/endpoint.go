package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// createEndpoint creates an interface or gateway endpoint unless a live one
// for the service already sits in the VPC, and maps the plan's placeholder
// to the real ID either way.
func (r *run) createEndpoint(ctx context.Context, c plan.Change) (Outcome, error) {
	kind := types.VpcEndpointTypeInterface
	if c.Action == plan.CreateGatewayEndpoint {
		kind = types.VpcEndpointTypeGateway
	}
	if o, found, err := r.existingEndpoint(ctx, c, kind, "already exists"); found || err != nil {
		return o, err
	}

	in := &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(c.VPCID),
		ServiceName:       aws.String(c.ServiceName),
		VpcEndpointType:   kind,
		TagSpecifications: r.tagSpec(types.ResourceTypeVpcEndpoint, c),
	}
	if r.req.EventID != "" {
		in.ClientToken = aws.String(clientToken(r.req.EventID, c))
	}
	if c.Policy != "" {
		in.PolicyDocument = aws.String(c.Policy)
	}
	if kind == types.VpcEndpointTypeInterface {
		in.SubnetIds = c.SubnetIDs
		for _, g := range c.GroupIDs {
			real, ok := r.group(g)
			if !ok {
				return Outcome{Status: report.ChangeSkipped, Detail: fmt.Sprintf("security group %s was not created by an earlier change", g)}, nil
			}
			in.SecurityGroupIds = append(in.SecurityGroupIds, real)
		}
		in.PrivateDnsEnabled = aws.Bool(c.PrivateDNS)
	}
	if kind == types.VpcEndpointTypeGateway {
		in.RouteTableIds = c.RouteTableIDs
	}
	var out *ec2.CreateVpcEndpointOutput
	err := r.mutateEndpoint(ctx, func() (err error) {
		out, err = r.EC2.CreateVpcEndpoint(ctx, in)
		return err
	})
	if privateDNSTaken(err) {
		// Someone created an endpoint of the service with private DNS
		// between the look and the create: it takes the traffic, so use
		// it rather than fail; the re-check judges it.
		if o, found, lookErr := r.existingEndpoint(ctx, c, kind, "was created meanwhile by someone else"); found || lookErr != nil {
			return o, lookErr
		}
	}
	if err != nil {
		return Outcome{}, err
	}
	if out.VpcEndpoint == nil || aws.ToString(out.VpcEndpoint.VpcEndpointId) == "" {
		return Outcome{}, errors.New("create vpc endpoint answered no endpoint ID")
	}
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	r.endpoints[c.EndpointID] = id
	if kind == types.VpcEndpointTypeInterface {
		r.pending = append(r.pending, r.index)
	}
	return Outcome{Status: report.ChangeCreated, Detail: fmt.Sprintf("%s endpoint %s for %s created", strings.ToLower(string(kind)), id, c.ServiceName), ResourceID: id}, nil
}

// existingEndpoint finds a live endpoint of the change's service and kind in
// its VPC and maps the plan's placeholder to it; how says how it came to be
// there.
func (r *run) existingEndpoint(ctx context.Context, c plan.Change, kind types.VpcEndpointType, how string) (Outcome, bool, error) {
	existing, err := r.describeEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{c.VPCID}},
		{Name: aws.String("service-name"), Values: []string{c.ServiceName}},
	}})
	if err != nil {
		return Outcome{}, false, fmt.Errorf("describe endpoints for %s in %s: %w", c.ServiceName, c.VPCID, err)
	}
	for _, e := range existing {
		if e.VpcEndpointType != kind || !live(e.State) {
			continue
		}
		id := aws.ToString(e.VpcEndpointId)
		r.endpoints[c.EndpointID] = id
		detail := fmt.Sprintf("%s endpoint %s for %s %s (%s)", strings.ToLower(string(kind)), id, c.ServiceName, how, stateName(e.State))
		if c.PrivateDNS && !aws.ToBool(e.PrivateDnsEnabled) {
			detail += "; its private DNS is off"
		}
		if kind == types.VpcEndpointTypeInterface && !available(e.State) {
			r.pending = append(r.pending, r.index)
		}
		return Outcome{Status: report.ChangeUnchanged, Detail: detail, ResourceID: id}, true, nil
	}
	return Outcome{}, false, nil
}

// privateDNSTaken reports EC2's refusal of private DNS on a second endpoint
// of a service in a VPC: InvalidParameter, "private-dns-enabled cannot be
// set because there is already a conflicting DNS domain for ... in the VPC".
func privateDNSTaken(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidParameter" &&
		strings.Contains(apiErr.ErrorMessage(), "conflicting DNS domain")
}

// addEndpointSubnets adds the subnets the endpoint lacks.
func (r *run) addEndpointSubnets(ctx context.Context, c plan.Change) (Outcome, error) {
	e, skip, err := r.liveEndpoint(ctx, c.EndpointID)
	if skip.Status != "" || err != nil {
		return skip, err
	}
	id := aws.ToString(e.VpcEndpointId)
	var missing []string
	for _, s := range c.SubnetIDs {
		if !slices.Contains(e.SubnetIds, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return Outcome{Status: report.ChangeUnchanged, Detail: fmt.Sprintf("endpoint %s already has subnets %s", id, strings.Join(c.SubnetIDs, ", ")), ResourceID: id}, nil
	}
	err = r.mutateEndpoint(ctx, func() error {
		_, err := r.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), AddSubnetIds: missing})
		return err
	})
	if alreadyDone(err) {
		return Outcome{Status: report.ChangeUnchanged, Detail: fmt.Sprintf("endpoint %s already has an interface in the zones of %s", id, strings.Join(missing, ", ")), ResourceID: id}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	r.pending = append(r.pending, r.index)
	return Outcome{Status: report.ChangeCreated, Detail: fmt.Sprintf("added subnets %s to endpoint %s", strings.Join(missing, ", "), id), ResourceID: id}, nil
}

// enableEndpointDNS turns on the private DNS of an endpoint.
func (r *run) enableEndpointDNS(ctx context.Context, c plan.Change) (Outcome, error) {
	e, skip, err := r.liveEndpoint(ctx, c.EndpointID)
	if skip.Status != "" || err != nil {
		return skip, err
	}
	id := aws.ToString(e.VpcEndpointId)
	if aws.ToBool(e.PrivateDnsEnabled) {
		return Outcome{Status: report.ChangeUnchanged, Detail: fmt.Sprintf("private DNS of endpoint %s is already on", id), ResourceID: id}, nil
	}
	err = r.mutateEndpoint(ctx, func() error {
		_, err := r.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(true)})
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	r.pending = append(r.pending, r.index)
	return Outcome{Status: report.ChangeCreated, Detail: fmt.Sprintf("turned on private DNS of endpoint %s", id), ResourceID: id}, nil
}

// liveEndpoint re-reads the endpoint a change modifies. When it cannot be
// modified, skip holds the outcome to report instead.
func (r *run) liveEndpoint(ctx context.Context, planned string) (e types.VpcEndpoint, skip Outcome, err error) {
	id, ok := r.resolve(planned)
	if !ok {
		return e, Outcome{Status: report.ChangeSkipped, Detail: fmt.Sprintf("endpoint %s was not created by an earlier change", planned)}, nil
	}
	found, err := r.describeEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil && !notFound(err) {
		return e, Outcome{}, fmt.Errorf("describe endpoint %s: %w", id, err)
	}
	for _, f := range found {
		if aws.ToString(f.VpcEndpointId) != id {
			continue
		}
		if !live(f.State) {
			return e, Outcome{Status: report.ChangeSkipped, ResourceID: id,
				Detail: fmt.Sprintf("endpoint %s is %s: the plan is stale, the next check plans again", id, stateName(f.State))}, nil
		}
		return f, Outcome{}, nil
	}
	return e, Outcome{Status: report.ChangeSkipped, ResourceID: id,
		Detail: fmt.Sprintf("endpoint %s no longer exists: the plan is stale, the next check plans again", id)}, nil
}

// resolve maps a planned endpoint ID to the real one; false when it names
// an endpoint this run did not create or find.
func (r *run) resolve(id string) (string, bool) {
	if real, ok := r.endpoints[id]; ok {
		return real, true
	}
	return id, !placeholder(id)
}

// endpoint is the ID to show for a planned or real endpoint.
func (r *run) endpoint(id string) string {
	real, _ := r.resolve(id)
	return real
}

// placeholder reports a planned endpoint's ID (vpce-planned1): real IDs are
// hexadecimal after the prefix.
func placeholder(id string) bool {
	return strings.Contains(id, "-planned")
}

// mutateEndpoint makes one endpoint mutation, at least EndpointSpacing after
// the previous one.
func (r *run) mutateEndpoint(ctx context.Context, call func() error) error {
	if !r.lastEndpointMutation.IsZero() {
		if wait := r.EndpointSpacing - r.clock().Sub(r.lastEndpointMutation); wait > 0 {
			if err := r.sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	err := call()
	r.lastEndpointMutation = r.clock()
	return err
}

func (r *run) describeEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput) ([]types.VpcEndpoint, error) {
	var out []types.VpcEndpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(r.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, page.VpcEndpoints...)
	}
	return out, nil
}

// waitAvailable polls the interface endpoints created or modified until
// they are available or WaitAvailable has passed. A pending endpoint is
// still a success; one that failed is a failure.
func (r *run) waitAvailable(ctx context.Context, outcomes []Outcome, errs []error) {
	if len(r.pending) == 0 {
		return
	}
	if r.WaitAvailable <= 0 {
		for _, i := range r.pending {
			outcomes[i].Detail += "; not waited for: usable once available"
		}
		return
	}
	var ids []string
	for _, i := range r.pending {
		if !slices.Contains(ids, outcomes[i].ResourceID) {
			ids = append(ids, outcomes[i].ResourceID)
		}
	}
	interval := min(pollInterval, r.WaitAvailable)
	polls := int((r.WaitAvailable + interval - 1) / interval)
	states := map[string]types.State{}
	var readErr error
	for poll := 0; ; poll++ {
		found, err := r.describeEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids})
		if err != nil {
			readErr = err
			break
		}
		for _, e := range found {
			states[aws.ToString(e.VpcEndpointId)] = e.State
		}
		settled := !slices.ContainsFunc(ids, func(id string) bool { return live(states[id]) && !available(states[id]) })
		if settled || poll == polls || r.sleep(ctx, interval) != nil {
			break
		}
	}
	for _, i := range r.pending {
		id := outcomes[i].ResourceID
		state, seen := states[id]
		switch {
		case seen && available(state):
			outcomes[i].Detail += "; available"
		case seen && !live(state):
			outcomes[i].Status = report.ChangeFailed
			outcomes[i].Detail += fmt.Sprintf("; then it became %s", stateName(state))
			errs[i] = fmt.Errorf("endpoint %s is %s", id, stateName(state))
		case readErr != nil:
			outcomes[i].Detail += fmt.Sprintf("; could not confirm it is available: %v", readErr)
		default:
			outcomes[i].Detail += fmt.Sprintf("; still %s after %s: usable once available", stateName(state), r.WaitAvailable)
		}
	}
}

// stateName spells a state as the EC2 API does (the SDK's constants are
// capitalised).
func stateName(s types.State) string {
	if s == "" {
		return "unknown"
	}
	return strings.ToLower(string(s))
}

// live reports an endpoint state that serves or will serve.
func live(s types.State) bool {
	switch strings.ToLower(string(s)) {
	case "deleted", "deleting", "failed", "rejected", "expired", "":
		return false
	}
	return true
}

func available(s types.State) bool {
	return strings.EqualFold(string(s), string(types.StateAvailable))
}

func notFound(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && strings.HasSuffix(api.ErrorCode(), ".NotFound")
}
