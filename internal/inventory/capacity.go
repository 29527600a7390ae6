package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// CapacityProviders is the part of the Lambda API that reads the capacity
// providers of Lambda Managed Instances. The Lambda client implements it;
// a Reader whose Lambda does not leaves such functions unresolved.
type CapacityProviders interface {
	GetCapacityProvider(context.Context, *lambda.GetCapacityProviderInput, ...func(*lambda.Options)) (*lambda.GetCapacityProviderOutput, error)
}

// capacityCache remembers the capacity providers read during one listing,
// so that many functions on one provider cost one read. It is safe for
// concurrent use.
type capacityCache struct {
	mu        sync.Mutex
	providers map[string]providerRead
}

// providerRead is one GetCapacityProvider outcome: the provider, or why it
// could not be read (unreadable), or an error to return.
type providerRead struct {
	provider   *workload.CapacityProvider
	unreadable string
	err        error
}

func (c *capacityCache) get(arn string) (providerRead, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.providers[arn]
	return r, ok
}

func (c *capacityCache) put(arn string, r providerRead) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.providers == nil {
		c.providers = map[string]providerRead{}
	}
	c.providers[arn] = r
}

// setManagedInstances marks a function that runs on Lambda Managed
// Instances. Its network is its capacity provider's: the function's own
// VpcConfig is ignored (AWS Lambda Developer Guide, "Networking for Lambda
// Managed Instances"), so it is cleared until the provider is read.
func setManagedInstances(w *workload.Workload, f lambdatypes.FunctionConfiguration) {
	if f.TracingConfig != nil {
		w.Function.TracingMode = string(f.TracingConfig.Mode)
	}
	c := f.CapacityProviderConfig
	if c == nil || c.LambdaManagedInstancesCapacityProviderConfig == nil || aws.ToString(c.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn) == "" {
		return
	}
	w.Kind = workload.KindManagedInstancesFunction
	w.Function.CapacityProviderARN = aws.ToString(c.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn)
	w.Network = workload.Network{}
	w.Function.IPv6 = false
}

// resolveCapacityProviders gives every Lambda Managed Instances function
// of a listing its capacity provider's network, reading each provider once
// and mapping all their subnets to VPCs in one batch.
func (r *Reader) resolveCapacityProviders(ctx context.Context, workloads []*workload.Workload) error {
	var lmi []*workload.Workload
	var subnets []string
	for _, w := range workloads {
		if w.Kind != workload.KindManagedInstancesFunction {
			continue
		}
		if err := r.readCapacityProvider(ctx, w); err != nil {
			return err
		}
		if w.Unresolved == "" {
			lmi = append(lmi, w)
			subnets = append(subnets, w.Network.SubnetIDs...)
		}
	}
	if len(lmi) == 0 {
		return nil
	}
	vpcs, err := r.vpcsOf(ctx, subnets)
	if err != nil {
		return err
	}
	for _, w := range lmi {
		setVPC(w, vpcs)
	}
	return nil
}

// resolveCapacityProvider does the same for one function.
func (r *Reader) resolveCapacityProvider(ctx context.Context, w *workload.Workload) error {
	if w.Kind != workload.KindManagedInstancesFunction {
		return nil
	}
	return r.resolveCapacityProviders(ctx, []*workload.Workload{w})
}

// readCapacityProvider sets the function's network to its provider's
// subnets and security groups. A provider that cannot be read (refused,
// gone, or no reader) leaves the workload unresolved with the reason.
func (r *Reader) readCapacityProvider(ctx context.Context, w *workload.Workload) error {
	arn := w.Function.CapacityProviderARN
	read, cached := r.capacityCache().get(arn)
	if !cached {
		read = r.getCapacityProvider(ctx, arn)
		r.capacityCache().put(arn, read)
	}
	if read.err != nil {
		return read.err
	}
	if read.unreadable != "" {
		w.Unresolved = read.unreadable
		return nil
	}
	p := read.provider
	w.Function.CapacityProvider = p
	// The provider is shared by its functions: each gets its own lists.
	w.Network = workload.Network{SubnetIDs: slices.Clone(p.SubnetIDs), SecurityGroupIDs: slices.Clone(p.SecurityGroupIDs)}
	if len(p.SubnetIDs) == 0 {
		w.Unresolved = fmt.Sprintf("capacity provider %s reports no subnets", arn)
	}
	return nil
}

// capacityCache is the listing's cache, or a fresh one for a single read.
func (r *Reader) capacityCache() *capacityCache {
	if r.cache != nil {
		return &r.cache.capacity
	}
	return &capacityCache{}
}

func (r *Reader) getCapacityProvider(ctx context.Context, arn string) providerRead {
	api, ok := r.Lambda.(CapacityProviders)
	if !ok {
		return providerRead{unreadable: fmt.Sprintf("the function runs on capacity provider %s, which this reader cannot read (no GetCapacityProvider)", arn)}
	}
	// GetCapacityProvider takes the provider's name or ARN (Lambda API
	// Reference, GetCapacityProvider, CapacityProviderName).
	out, err := api.GetCapacityProvider(ctx, &lambda.GetCapacityProviderInput{CapacityProviderName: aws.String(arn)})
	if err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &nf):
			return providerRead{unreadable: fmt.Sprintf("the function runs on capacity provider %s, which does not exist (any more): its network cannot be known", arn)}
		case errors.As(err, &apiErr) && isAccessDenied(apiErr.ErrorCode()):
			return providerRead{unreadable: fmt.Sprintf("the function runs on capacity provider %s, which vpcmedic may not read (%s: %s): grant lambda:GetCapacityProvider to check its network", arn, apiErr.ErrorCode(), apiErr.ErrorMessage())}
		}
		return providerRead{err: fmt.Errorf("get capacity provider %s: %w", arn, err)}
	}
	c := out.CapacityProvider
	if c == nil {
		return providerRead{err: fmt.Errorf("get capacity provider %s: empty answer", arn)}
	}
	p := &workload.CapacityProvider{ARN: aws.ToString(c.CapacityProviderArn), State: string(c.State)}
	if p.ARN == "" {
		p.ARN = arn
	}
	if c.PermissionsConfig != nil {
		p.OperatorRoleARN = aws.ToString(c.PermissionsConfig.CapacityProviderOperatorRoleArn)
	}
	if c.VpcConfig != nil {
		p.SubnetIDs, p.SecurityGroupIDs = c.VpcConfig.SubnetIds, c.VpcConfig.SecurityGroupIds
	}
	return providerRead{provider: p}
}

func isAccessDenied(code string) bool {
	return strings.HasPrefix(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "Forbidden"
}
