package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/vpcmedic/vpcmedic/internal/lambdaarn"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// Lister is the part of the Lambda API a full listing calls.
type Lister interface {
	lambda.ListEventSourceMappingsAPIClient
	lambda.ListFunctionsAPIClient
	// GetFunction reads what ListFunctions leaves out: the state of each
	// VPC function.
	lambda.GetFunctionAPIClient
}

// All lists every Kafka, Amazon MQ and DocumentDB event source mapping and
// every VPC-attached function of the account and Region. Each cluster is described once and
// all subnets are mapped to their VPCs in one batch, so the number of calls
// grows with result pages and clusters, not with mappings or VPCs.
func (r *Reader) All(ctx context.Context, list Lister) ([]*workload.Workload, error) {
	return r.AllIn(ctx, list, nil)
}

// AllIn lists the workloads of All that are in the given VPCs (nil: in
// any). The functions of other VPCs are left out before their states and
// tags are read, one call each at most; the mappings are all read, since
// only its cluster says which VPC a mapping is in.
func (r *Reader) AllIn(ctx context.Context, list Lister, vpcs []string) ([]*workload.Workload, error) {
	inVPCs := func(vpc string) bool { return vpcs == nil || slices.Contains(vpcs, vpc) }
	scoped := *r
	scoped.cache = &clusterCache{
		clusters: map[string]*kafka.DescribeClusterV2Output{},
		brokers:  map[string]*kafka.GetBootstrapBrokersOutput{},
	}
	var out []*workload.Workload
	// What every function's mappings make Lambda itself use.
	uses := mappingUses{}
	var mappings []lambdatypes.EventSourceMappingConfiguration
	esms := lambda.NewListEventSourceMappingsPaginator(list, &lambda.ListEventSourceMappingsInput{})
	for esms.HasMorePages() {
		page, err := esms.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list event source mappings: %w", err)
		}
		mappings = append(mappings, page.EventSourceMappings...)
	}
	// The clusters are read at once, before the mappings that name them.
	var clusters []string
	for _, m := range mappings {
		if c := mskCluster(m); c != "" {
			clusters = append(clusters, c)
		}
	}
	// For a few VPCs, the clusters' subnets say which clusters are in
	// them: only those have their brokers read, and their mappings kept.
	var outside map[string]bool
	if vpcs == nil {
		scoped.prefetchClusters(ctx, clusters, true)
	} else {
		scoped.prefetchClusters(ctx, clusters, false)
		outside = scoped.clustersOutside(ctx, vpcs)
		clusters = slices.DeleteFunc(clusters, func(c string) bool { return outside[c] })
		scoped.prefetchClusters(ctx, clusters, true)
	}
	for _, m := range mappings {
		uses.add(m)
		if outside[mskCluster(m)] {
			continue
		}
		w, err := scoped.mappingWorkload(ctx, m)
		if err != nil {
			return nil, err
		}
		// A mapping on its way out processes nothing.
		if w != nil && w.MappingState() != StateDeleting {
			out = append(out, w)
		}
	}
	roles := map[string]string{}
	fns := lambda.NewListFunctionsPaginator(list, &lambda.ListFunctionsInput{})
	for fns.HasMorePages() {
		page, err := fns.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			roles[lambdaarn.Unqualified(aws.ToString(f.FunctionArn), "", "")] = aws.ToString(f.Role)
			if w := functionWorkload(f); (w.Network.VPCID != "" && inVPCs(w.Network.VPCID)) || w.Kind == workload.KindManagedInstancesFunction {
				out = append(out, w)
			}
		}
	}
	if err := scoped.resolveCapacityProviders(ctx, out); err != nil {
		return nil, err
	}
	uses.apply(out)
	// ListFunctions carries no tags, and the tags correct what a function
	// needs: they are read beside the states, which they do not depend on.
	var (
		tagsRead sync.WaitGroup
		tagsErr  error
	)
	listed := slices.Clone(out)
	tagsRead.Go(func() { tagsErr = scoped.functionTags(ctx, listed, len(roles)) })
	out, err := functionStates(ctx, list, out)
	tagsRead.Wait()
	if err != nil {
		return nil, err
	}
	if tagsErr != nil {
		return nil, tagsErr
	}
	for _, w := range out {
		if w.IsMapping() {
			w.ExecutionRoleARN = roles[w.FunctionARN]
		}
	}
	var subnets []string
	for _, w := range out {
		if w.IsMapping() && w.Unresolved == "" {
			subnets = append(subnets, networkSubnets(w)...)
		}
	}
	vpcOf, err := scoped.vpcsOf(ctx, subnets)
	if err != nil {
		return nil, err
	}
	for _, w := range out {
		if w.IsMapping() && w.Unresolved == "" {
			setVPC(w, vpcOf)
		}
	}
	if vpcs != nil {
		out = slices.DeleteFunc(out, func(w *workload.Workload) bool { return !w.InVPC(vpcs) })
	}
	return out, nil
}

// taggingPage is how many functions a page of the tagging API holds.
const taggingPage = 100

// functionWorkload builds a function workload from its configuration.
func functionWorkload(f lambdatypes.FunctionConfiguration) *workload.Workload {
	fnARN := lambdaarn.Unqualified(aws.ToString(f.FunctionArn), "", "")
	w := &workload.Workload{
		Kind:             workload.KindFunction,
		ID:               fnARN,
		Name:             aws.ToString(f.FunctionName),
		FunctionARN:      fnARN,
		ExecutionRoleARN: aws.ToString(f.Role),
		Function:         &workload.Function{RoleARN: aws.ToString(f.Role), Runtime: string(f.Runtime)},
	}
	setLambdaState(w.Function, f)
	setLambdaUse(w.Function, f)
	if f.Environment != nil {
		w.Function.Environment = f.Environment.Variables
	}
	if vc := f.VpcConfig; vc != nil && len(vc.SubnetIds) > 0 {
		w.Network = workload.Network{VPCID: aws.ToString(vc.VpcId), SubnetIDs: vc.SubnetIds, SecurityGroupIDs: vc.SecurityGroupIds}
		w.Function.IPv6 = aws.ToBool(vc.Ipv6AllowedForDualStack)
	}
	setManagedInstances(w, f)
	return w
}

// functionTags fills the tags of the VPC functions: with the tagging API,
// one paginated call for all the account's functions (listed of them, 100
// a page); without it, or when there are fewer VPC functions than pages,
// one call each, a few at a time.
func (r *Reader) functionTags(ctx context.Context, workloads []*workload.Workload, listed int) error {
	var fns []*workload.Workload
	for _, w := range workloads {
		if w.IsFunction() {
			fns = append(fns, w)
		}
	}
	if len(fns) == 0 {
		return nil
	}
	if r.Tagging == nil || len(fns) <= (listed+taggingPage-1)/taggingPage {
		errs := make([]error, len(fns))
		var wg sync.WaitGroup
		slots := make(chan struct{}, stateReaders)
		for i, w := range fns {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				tags, err := r.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(w.ID)})
				var nf *lambdatypes.ResourceNotFoundException
				switch {
				case errors.As(err, &nf):
					// Deleted since the listing: its state read drops it.
					return
				case err != nil:
					errs[i] = fmt.Errorf("list tags of %s: %w", w.ID, err)
					return
				}
				w.Function.Tags = tags.Tags
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	byARN := map[string]map[string]string{}
	p := resourcegroupstaggingapi.NewGetResourcesPaginator(r.Tagging, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: []string{"lambda:function"},
		ResourcesPerPage:    aws.Int32(taggingPage),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("get the tags of the functions: %w", err)
		}
		for _, m := range page.ResourceTagMappingList {
			tags := map[string]string{}
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			byARN[lambdaarn.Unqualified(aws.ToString(m.ResourceARN), "", "")] = tags
		}
	}
	for _, w := range fns {
		w.Function.Tags = byARN[w.ID]
	}
	return nil
}
