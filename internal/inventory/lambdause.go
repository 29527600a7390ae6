package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/lambdaarn"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// EventInvokeConfigs is the Lambda call that reads a function's
// asynchronous invocation configurations (every version and alias).
type EventInvokeConfigs interface {
	lambda.ListFunctionEventInvokeConfigsAPIClient
}

// setLambdaUse copies what the configuration says Lambda itself uses with
// the role: the dead-letter target and the environment's key.
func setLambdaUse(fn *workload.Function, f lambdatypes.FunctionConfiguration) {
	if d := f.DeadLetterConfig; d != nil && aws.ToString(d.TargetArn) != "" {
		fn.LambdaUse.Targets = appendNew(fn.LambdaUse.Targets, aws.ToString(d.TargetArn))
	}
	fn.LambdaUse.KMSKeyARN = aws.ToString(f.KMSKeyArn)
}

// mappingUses collects, from a listing of mappings, what each function's
// mappings make Lambda use, by unqualified function ARN.
type mappingUses map[string]*workload.LambdaUse

func (m mappingUses) add(cfg lambdatypes.EventSourceMappingConfiguration) {
	fn := lambdaarn.Unqualified(aws.ToString(cfg.FunctionArn), "", "")
	u := m[fn]
	if u == nil {
		u = &workload.LambdaUse{}
		m[fn] = u
	}
	addMapping(u, cfg)
}

// addMapping records a mapping's source, failure destination and secrets.
func addMapping(u *workload.LambdaUse, cfg lambdatypes.EventSourceMappingConfiguration) {
	if src := aws.ToString(cfg.EventSourceArn); src != "" {
		u.EventSources = appendNew(u.EventSources, src)
	}
	if d := cfg.DestinationConfig; d != nil && d.OnFailure != nil && aws.ToString(d.OnFailure.Destination) != "" {
		u.Targets = appendNew(u.Targets, aws.ToString(d.OnFailure.Destination))
	}
	for _, sa := range cfg.SourceAccessConfigurations {
		if uri := aws.ToString(sa.URI); slices.Contains(secretAuthTypes, string(sa.Type)) && uri != "" {
			u.Targets = appendNew(u.Targets, uri)
		}
	}
	u.MappingsRead = true
}

// apply gives every function workload what its mappings use: the listing
// had every mapping, so a function without one has none.
func (m mappingUses) apply(workloads []*workload.Workload) {
	for _, w := range workloads {
		if !w.IsFunction() {
			continue
		}
		if u := m[w.ID]; u != nil {
			w.Function.LambdaUse.EventSources = u.EventSources
			w.Function.LambdaUse.Targets = appendNew(w.Function.LambdaUse.Targets, u.Targets...)
		}
		w.Function.LambdaUse.MappingsRead = true
	}
}

// LambdaUse completes what Lambda itself does with a function's role: the
// mappings that invoke it (unless a listing already gave them) and its
// asynchronous destinations. A refusal is recorded in LambdaUse.Unread,
// not returned: the requirements it could explain stay.
// The two reads are independent and made at once, each into its own record.
func (r *Reader) LambdaUse(ctx context.Context, w *workload.Workload) error {
	u := &w.Function.LambdaUse
	var mappings, destinations workload.LambdaUse
	var mappingsErr, destinationsErr error
	var wg sync.WaitGroup
	if !u.MappingsRead {
		wg.Go(func() { mappingsErr = r.functionMappings(ctx, w.ID, &mappings) })
	}
	if !u.DestinationsRead {
		wg.Go(func() { destinationsErr = r.destinations(ctx, w.ID, &destinations) })
	}
	wg.Wait()
	if err := errors.Join(mappingsErr, destinationsErr); err != nil {
		return err
	}
	for _, read := range []workload.LambdaUse{mappings, destinations} {
		u.EventSources = appendNew(u.EventSources, read.EventSources...)
		u.Targets = appendNew(u.Targets, read.Targets...)
		u.Unread = append(u.Unread, read.Unread...)
	}
	u.MappingsRead = u.MappingsRead || mappings.MappingsRead
	u.DestinationsRead = u.DestinationsRead || destinations.DestinationsRead
	return nil
}

func (r *Reader) functionMappings(ctx context.Context, fnARN string, u *workload.LambdaUse) error {
	client, ok := r.Lambda.(lambda.ListEventSourceMappingsAPIClient)
	if !ok {
		u.Unread = append(u.Unread, "the function's event source mappings are not read in this run")
		return nil
	}
	p := lambda.NewListEventSourceMappingsPaginator(client, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(fnARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if refused, why := refusal(err); refused {
			u.Unread = append(u.Unread, "Lambda refused to list the function's event source mappings: "+why)
			return nil
		} else if err != nil {
			return fmt.Errorf("list the event source mappings of %s: %w", fnARN, err)
		}
		for _, m := range page.EventSourceMappings {
			addMapping(u, m)
		}
	}
	u.MappingsRead = true
	return nil
}

func (r *Reader) destinations(ctx context.Context, fnARN string, u *workload.LambdaUse) error {
	client, ok := r.Lambda.(EventInvokeConfigs)
	if !ok {
		u.Unread = append(u.Unread, "the function's asynchronous invocation configuration is not read in this run")
		return nil
	}
	p := lambda.NewListFunctionEventInvokeConfigsPaginator(client, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String(fnARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var nf *lambdatypes.ResourceNotFoundException
		switch refused, why := refusal(err); {
		case refused:
			u.Unread = append(u.Unread, "Lambda refused to read the function's asynchronous invocation configuration: "+why)
			return nil
		case errors.As(err, &nf):
			return nil
		case err != nil:
			return fmt.Errorf("list the asynchronous invocation configurations of %s: %w", fnARN, err)
		}
		for _, c := range page.FunctionEventInvokeConfigs {
			d := c.DestinationConfig
			if d == nil {
				continue
			}
			if d.OnFailure != nil && aws.ToString(d.OnFailure.Destination) != "" {
				u.Targets = appendNew(u.Targets, aws.ToString(d.OnFailure.Destination))
			}
			if d.OnSuccess != nil && aws.ToString(d.OnSuccess.Destination) != "" {
				u.Targets = appendNew(u.Targets, aws.ToString(d.OnSuccess.Destination))
			}
		}
	}
	u.DestinationsRead = true
	return nil
}

// refusal reports whether an error is Lambda refusing the read, and its
// words.
func refusal(err error) (bool, string) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false, ""
	}
	switch apiErr.ErrorCode() {
	case "AccessDenied", "AccessDeniedException":
		return true, apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return false, ""
}

func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
