// Package remediate applies a plan of changes to EC2, idempotently: right
// before each change it re-reads the resource and leaves alone what already
// holds, so a retried or duplicated event never creates anything twice. It
// only creates and adds: it never deletes or replaces, opens ingress to a CIDR
// only from the VPC's own blocks to the group of the endpoints it creates,
// and creates NAT gateways and Elastic IPs only when
// AllowNATCreation is set. Everything it creates is tagged at creation with
// the finding that caused it.
//
//	a := remediate.New(ec2.NewFromConfig(cfg))
//	outcomes, err := a.Apply(ctx, remediate.Request{EventID: id}, p.Changes)
//	// One outcome per change, in order. err names the changes that failed:
//	// retry the invocation, unless errors.Is(err, remediate.ErrRefused)
//	// says a change was refused, which no retry fixes.
//
// The role running it needs Actions(), plus NATActions() when it may create
// NAT gateways.
package remediate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// Tag keys set on everything vpcmedic creates.
const (
	TagManaged = "vpcmedic:managed"
	TagCheck   = "vpcmedic:check"
	TagEvent   = "vpcmedic:event"
)

// Defaults of New.
const (
	DefaultEndpointSpacing  = 3 * time.Second
	DefaultWaitAvailable    = 2 * time.Minute
	DefaultWaitNATAvailable = 90 * time.Second
	// DefaultReserve is the time kept after the changes for the re-read,
	// the re-check and the outcome alert.
	DefaultReserve = 20 * time.Second
)

// changeCost is the worst case of one change's calls besides its waits: a
// read and a write, each cut by the clients' attempt timeout and retried.
const changeCost = 10 * time.Second

// ErrOutOfTime marks changes not started because the invocation would end
// before they and their report could: a retry makes them.
var ErrOutOfTime = errors.New("not enough time left in this invocation")

// pollInterval is how often a wait re-reads pending endpoints and NAT
// gateways.
const pollInterval = 5 * time.Second

// ErrRefused marks changes the applier will not make whatever the retry
// (an ingress rule without a peer group, an unknown action): retrying the
// invocation does not help those.
var ErrRefused = errors.New("refused")

// EC2 is the part of the EC2 API the applier calls.
type EC2 interface {
	ec2.DescribeVpcEndpointsAPIClient
	ec2.DescribeSecurityGroupRulesAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeNatGatewaysAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	CreateSecurityGroup(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	AllocateAddress(context.Context, *ec2.AllocateAddressInput, ...func(*ec2.Options)) (*ec2.AllocateAddressOutput, error)
	CreateNatGateway(context.Context, *ec2.CreateNatGatewayInput, ...func(*ec2.Options)) (*ec2.CreateNatGatewayOutput, error)
	DescribeVpcAttribute(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	CreateVpcEndpoint(context.Context, *ec2.CreateVpcEndpointInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error)
	ModifyVpcEndpoint(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	AuthorizeSecurityGroupEgress(context.Context, *ec2.AuthorizeSecurityGroupEgressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error)
	CreateRoute(context.Context, *ec2.CreateRouteInput, ...func(*ec2.Options)) (*ec2.CreateRouteOutput, error)
	ModifyVpcAttribute(context.Context, *ec2.ModifyVpcAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error)
}

// actions are the IAM actions behind the EC2 interface, plus what the calls
// depend on: ec2:CreateTags for tagging at creation, and
// route53:AssociateVPCWithHostedZone for the private DNS of interface
// endpoints.
var actions = []string{
	"ec2:AuthorizeSecurityGroupEgress",
	"ec2:AuthorizeSecurityGroupIngress",
	"ec2:CreateRoute",
	"ec2:CreateSecurityGroup",
	"ec2:CreateTags",
	"ec2:CreateVpcEndpoint",
	"ec2:DescribeRouteTables",
	"ec2:DescribeSecurityGroupRules",
	"ec2:DescribeSecurityGroups",
	"ec2:DescribeVpcAttribute",
	"ec2:DescribeVpcEndpoints",
	"ec2:ModifyVpcAttribute",
	"ec2:ModifyVpcEndpoint",
	"route53:AssociateVPCWithHostedZone",
}

// natActions are what creating NAT gateways adds (tagging their addresses
// and gateways at creation among them): the template grants them only with
// AllowNatCreation.
var natActions = []string{
	"ec2:AllocateAddress",
	"ec2:CreateNatGateway",
	"ec2:CreateTags",
	"ec2:DescribeAddresses",
	"ec2:DescribeNatGateways",
}

// Outcome is what happened to one change.
type Outcome struct {
	Change plan.Change
	// Status is report.ChangeCreated, ChangeUnchanged, ChangeSkipped,
	// ChangeFailed, or ChangePlanned in a dry run.
	Status string
	// Detail says what was done, or why not.
	Detail string
	// ResourceID is the endpoint, rule, route table, VPC, Elastic IP
	// allocation or NAT gateway created or found.
	ResourceID string
}

// Applier executes plans against EC2. Its zero durations mean no spacing and
// no waiting; New sets the production defaults.
type Applier struct {
	EC2 EC2
	// EndpointSpacing is the least time between two endpoint mutations
	// (CreateVpcEndpoint and ModifyVpcEndpoint share a bucket that refills
	// at about 0.3 calls a second). Throttles beyond that are left to the
	// client's retryer (the SDK's standard one backs off on
	// RequestLimitExceeded).
	EndpointSpacing time.Duration
	// WaitAvailable bounds the wait until the interface endpoints created
	// or modified are available.
	WaitAvailable time.Duration
	// AllowNATCreation lets the applier allocate Elastic IPs and create NAT
	// gateways; without it such changes are refused.
	AllowNATCreation bool
	// WaitNATAvailable bounds the wait until a NAT gateway created or found
	// pending is available: routes to it are added only then.
	WaitNATAvailable time.Duration
	// Reserve is kept before the context's deadline for what follows the
	// changes (re-check, alert): no change starts that could eat into it.
	Reserve time.Duration
	// Sleep pauses; nil sleeps for real, returning early when ctx ends.
	Sleep func(context.Context, time.Duration) error

	// now reads the clock (time.Now when nil).
	now func() time.Time
}

// New returns an Applier with the production spacing and wait.
func New(client EC2) *Applier {
	return &Applier{EC2: client, EndpointSpacing: DefaultEndpointSpacing, WaitAvailable: DefaultWaitAvailable, WaitNATAvailable: DefaultWaitNATAvailable, Reserve: DefaultReserve}
}

// Request says on whose behalf changes are applied.
type Request struct {
	// EventID identifies the triggering event: it goes into tags and
	// client tokens, so a redelivered event maps to the same requests.
	EventID string
	// DryRun makes no call at all: every valid change is reported as
	// planned.
	DryRun bool
	// Tags are added to everything created (vpcmedic's own tags win).
	Tags map[string]string
}

// Actions returns the IAM actions Apply may need, sorted, NAT gateways
// aside.
func (a *Applier) Actions() []string {
	return slices.Clone(actions)
}

// NATActions returns the IAM actions Apply needs, sorted, to allocate
// Elastic IPs and create NAT gateways (with AllowNATCreation).
func (a *Applier) NATActions() []string {
	return slices.Clone(natActions)
}

// Apply makes the changes in order and returns one outcome per change, in
// the same order, whatever happens. Changes that do not depend on a failed
// one are still made. The error names every failed change; the invocation
// can then be retried, and the retry finds what this one made.
//
// When ctx has a deadline (Lambda's), no change starts unless it and its
// wait can end Reserve before it; the rest are skipped with ErrOutOfTime,
// and the waits are cut to the time left.
func (a *Applier) Apply(ctx context.Context, req Request, changes []plan.Change) ([]Outcome, error) {
	own := *a // the waits are cut per run
	r := &run{Applier: &own, req: req, endpoints: map[string]string{}, addresses: map[string]string{}, nats: map[string]string{}, natStates: map[string]types.NatGatewayState{}}
	deadline, bounded := ctx.Deadline()
	bounded = bounded && !req.DryRun
	outcomes := make([]Outcome, len(changes))
	errs := make([]error, len(changes))
	for i, c := range changes {
		if bounded && r.cost(c) > r.timeLeft(deadline) {
			// Later changes may build on this one: none of them starts.
			for j := i; j < len(changes); j++ {
				outcomes[j] = Outcome{Change: changes[j], Status: report.ChangeSkipped, Detail: ErrOutOfTime.Error() + ": retried"}
				errs[j] = ErrOutOfTime
			}
			break
		}
		outcomes[i], errs[i] = r.apply(ctx, c)
	}
	if bounded {
		r.WaitAvailable = max(0, min(r.WaitAvailable, r.timeLeft(deadline)))
	}
	r.waitAvailable(ctx, outcomes, errs)
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("%s %s: %w", changes[i].Action, changes[i].Target, err))
		}
	}
	if len(failed) > 0 {
		return outcomes, fmt.Errorf("%d of %d changes failed or were not started: %w", len(failed), len(changes), errors.Join(failed...))
	}
	return outcomes, nil
}

// timeLeft is what remains for changes and their waits before deadline,
// the reserve set aside.
func (r *run) timeLeft(deadline time.Time) time.Duration {
	return deadline.Sub(r.clock()) - r.Reserve
}

// cost is the worst case of a change, its waits included: the endpoint
// wait (once for all endpoints, counted by the first change that needs it,
// and still owed by the later ones) and a NAT gateway's.
func (r *run) cost(c plan.Change) time.Duration {
	d := changeCost
	switch c.Action {
	case plan.CreateInterfaceEndpoint, plan.AddEndpointSubnets, plan.EnableEndpointDNS:
		d += r.EndpointSpacing + r.WaitAvailable
	case plan.CreateGatewayEndpoint:
		d += r.EndpointSpacing
	case plan.CreateNATGateway:
		d += r.WaitNATAvailable
	}
	if len(r.pending) > 0 && !waitsForEndpoints(c) {
		d += r.WaitAvailable
	}
	return d
}

// waitsForEndpoints reports changes whose endpoint joins the final wait.
func waitsForEndpoints(c plan.Change) bool {
	switch c.Action {
	case plan.CreateInterfaceEndpoint, plan.AddEndpointSubnets, plan.EnableEndpointDNS:
		return true
	}
	return false
}

// run is the state of one Apply.
type run struct {
	*Applier
	req Request
	// endpoints, addresses and nats map the plan's placeholder IDs of
	// endpoints, Elastic IP allocations and NAT gateways to real ones.
	endpoints, addresses, nats map[string]string
	// natStates are the last states seen of the NAT gateways in nats.
	natStates map[string]types.NatGatewayState
	// lastEndpointMutation is when the previous endpoint mutation ended.
	lastEndpointMutation time.Time
	// groups maps the plan's placeholder security group IDs to real ones.
	groups map[string]string
	// pending are the outcomes (by index) whose endpoint must become
	// available.
	pending []int
	index   int
}

func (r *run) apply(ctx context.Context, c plan.Change) (Outcome, error) {
	defer func() { r.index++ }()
	if err := validate(c, r.AllowNATCreation); err != nil {
		return Outcome{Change: c, Status: report.ChangeFailed, Detail: err.Error()}, err
	}
	if r.req.DryRun {
		return Outcome{Change: c, Status: report.ChangePlanned, Detail: "would " + describe(c, r.endpoint(c.EndpointID))}, nil
	}
	if err := ctx.Err(); err != nil {
		return Outcome{Change: c, Status: report.ChangeFailed, Detail: "not attempted: " + err.Error()}, err
	}
	var (
		o   Outcome
		err error
	)
	switch c.Action {
	case plan.CreateSecurityGroup:
		o, err = r.createSecurityGroup(ctx, c)
	case plan.CreateInterfaceEndpoint, plan.CreateGatewayEndpoint:
		o, err = r.createEndpoint(ctx, c)
	case plan.AddEndpointSubnets:
		o, err = r.addEndpointSubnets(ctx, c)
	case plan.EnableEndpointDNS:
		o, err = r.enableEndpointDNS(ctx, c)
	case plan.AuthorizeIngress, plan.AuthorizeEgress:
		o, err = r.authorize(ctx, c)
	case plan.AllocateAddress:
		o, err = r.allocateAddress(ctx, c)
	case plan.CreateNATGateway:
		o, err = r.createNATGateway(ctx, c)
	case plan.CreateRoute:
		o, err = r.createRoutes(ctx, c)
	case plan.EnableVPCAttribute:
		o, err = r.enableAttribute(ctx, c)
	}
	o.Change = c
	if err != nil {
		o.Status = report.ChangeFailed
		if o.Detail == "" {
			o.Detail = fmt.Sprintf("could not %s: %v", describe(c, r.endpoint(c.EndpointID)), err)
		}
	}
	return o, err
}

// validate refuses what the applier must never do, whatever the plan says.
func validate(c plan.Change, allowNAT bool) error {
	switch c.Action {
	case plan.CreateInterfaceEndpoint, plan.CreateGatewayEndpoint:
		if c.VPCID == "" || c.ServiceName == "" || c.EndpointID == "" {
			return fmt.Errorf("%w: the change names no VPC, service or endpoint", ErrRefused)
		}
	case plan.CreateSecurityGroup:
		return validateGroup(c)
	case plan.AddEndpointSubnets, plan.EnableEndpointDNS:
		if c.EndpointID == "" {
			return fmt.Errorf("%w: the change names no endpoint", ErrRefused)
		}
		if c.Action == plan.AddEndpointSubnets && len(c.SubnetIDs) == 0 {
			return fmt.Errorf("%w: the change names no subnet", ErrRefused)
		}
	case plan.AuthorizeIngress, plan.AuthorizeEgress:
		if c.PeerGroupID == "" {
			return fmt.Errorf("%w: rules are only added between security groups, never to a CIDR, and the change names no peer group", ErrRefused)
		}
		if c.GroupID == "" || c.Port < 1 || c.Port > 65535 {
			return fmt.Errorf("%w: the change names no group or no valid port", ErrRefused)
		}
	case plan.CreateRoute:
		if !strings.HasPrefix(c.NATGatewayID, "nat-") || len(c.RouteTableIDs) == 0 {
			return fmt.Errorf("%w: default routes are only added to an existing NAT gateway, and the change names no NAT gateway or route table", ErrRefused)
		}
	case plan.AllocateAddress, plan.CreateNATGateway:
		if !allowNAT {
			return fmt.Errorf("%w: NAT gateways and Elastic IPs are created only when AllowNatCreation is true", ErrRefused)
		}
		if len(c.SubnetIDs) != 1 || c.AllocationID == "" || c.Action == plan.CreateNATGateway && !strings.HasPrefix(c.NATGatewayID, "nat-") {
			return fmt.Errorf("%w: the change names no single subnet, no Elastic IP or no NAT gateway", ErrRefused)
		}
	case plan.EnableVPCAttribute:
		if c.VPCID == "" || (c.Attribute != "enableDnsSupport" && c.Attribute != "enableDnsHostnames") {
			return fmt.Errorf("%w: only enableDnsSupport and enableDnsHostnames are turned on, not %q", ErrRefused, c.Attribute)
		}
	default:
		return fmt.Errorf("%w: unknown action %q", ErrRefused, c.Action)
	}
	return nil
}

// describe says what a change does, after "would" or "could not".
func describe(c plan.Change, endpointID string) string {
	switch c.Action {
	case plan.CreateInterfaceEndpoint:
		dns := "off"
		if c.PrivateDNS {
			dns = "on"
		}
		policy := "the default policy"
		if c.Policy != "" {
			policy = "a least-privilege policy"
		}
		return fmt.Sprintf("create an interface endpoint for %s in %s (subnets %s, groups %s, private DNS %s, %s)",
			c.ServiceName, c.VPCID, strings.Join(c.SubnetIDs, ", "), strings.Join(c.GroupIDs, ", "), dns, policy)
	case plan.CreateSecurityGroup:
		return fmt.Sprintf("create security group %s in %s admitting TCP %d from %s", plan.EndpointGroupName, c.VPCID, c.Port, strings.Join(c.CIDRs, ", "))
	case plan.CreateGatewayEndpoint:
		return fmt.Sprintf("create a gateway endpoint for %s in %s (route tables %s)", c.ServiceName, c.VPCID, strings.Join(c.RouteTableIDs, ", "))
	case plan.AddEndpointSubnets:
		return fmt.Sprintf("add subnets %s to endpoint %s", strings.Join(c.SubnetIDs, ", "), endpointID)
	case plan.EnableEndpointDNS:
		return "turn on private DNS of endpoint " + endpointID
	case plan.AuthorizeIngress:
		return fmt.Sprintf("allow TCP %d into %s from %s", c.Port, c.GroupID, c.PeerGroupID)
	case plan.AuthorizeEgress:
		return fmt.Sprintf("allow TCP %d out of %s to %s", c.Port, c.GroupID, c.PeerGroupID)
	case plan.AllocateAddress:
		return fmt.Sprintf("allocate an Elastic IP for a NAT gateway in %s", c.SubnetIDs[0])
	case plan.CreateNATGateway:
		return fmt.Sprintf("create a public NAT gateway in %s with Elastic IP %s", c.SubnetIDs[0], c.AllocationID)
	case plan.CreateRoute:
		return fmt.Sprintf("route 0.0.0.0/0 of %s to %s", strings.Join(c.RouteTableIDs, ", "), c.NATGatewayID)
	case plan.EnableVPCAttribute:
		return fmt.Sprintf("turn on %s of %s", c.Attribute, c.VPCID)
	}
	return c.Action
}

// clientToken is the idempotency token of a change made for an event: the
// same event and change always give the same token, so AWS answers a
// repeated CreateVpcEndpoint or CreateNatGateway with the resource it
// already made. A NAT gateway is told apart by its subnet.
func clientToken(eventID string, c plan.Change) string {
	parts := []string{eventID, c.Action, c.VPCID, c.ServiceName}
	if c.Action == plan.CreateNATGateway {
		parts = append(parts, c.SubnetIDs...)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])
}

// tags are what everything created for c carries.
func (r *run) tags(c plan.Change) []types.Tag {
	all := maps.Clone(r.req.Tags)
	if all == nil {
		all = map[string]string{}
	}
	all[TagManaged] = "true"
	if len(c.CheckIDs) > 0 {
		all[TagCheck] = c.CheckIDs[0]
	}
	if r.req.EventID != "" {
		all[TagEvent] = r.req.EventID
	}
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(all)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(all[k])})
	}
	return out
}

func (r *run) tagSpec(kind types.ResourceType, c plan.Change) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: kind, Tags: r.tags(c)}}
}

// alreadyDone reports errors that mean the change already holds (a
// concurrent invocation made it between the read and the call).
func alreadyDone(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "InvalidPermission.Duplicate", "RouteAlreadyExists", "DuplicateSubnetsInSameZone":
		return true
	}
	return false
}

func (r *run) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (r *run) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}
