package inventory

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// stateReaders bounds the GetFunction calls of a listing in flight at
// once. Lambda allows GetFunction 100 requests per second per account,
// apart from the 15 shared by the rest of its control plane: a few at a
// time keep a large sweep short without starving anyone's deployments.
const stateReaders = 3

// setLambdaState copies Lambda's words on the function's state.
func setLambdaState(fn *workload.Function, f lambdatypes.FunctionConfiguration) {
	fn.State = string(f.State)
	fn.StateReason = aws.ToString(f.StateReason)
	fn.StateReasonCode = string(f.StateReasonCode)
	fn.LastUpdateStatus = string(f.LastUpdateStatus)
	fn.LastUpdateStatusReason = aws.ToString(f.LastUpdateStatusReason)
	fn.LastUpdateStatusReasonCode = string(f.LastUpdateStatusReasonCode)
}

// functionStates reads the state of the VPC functions the listing did not
// give one: ListFunctions leaves State, LastUpdateStatus and their reasons
// out, GetFunction has them. A function deleted since the listing is
// dropped. The other workloads are returned as they are, in order.
func functionStates(ctx context.Context, client lambda.GetFunctionAPIClient, workloads []*workload.Workload) ([]*workload.Workload, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		gone  = map[*workload.Workload]bool{}
		slots = make(chan struct{}, stateReaders)
	)
	for _, w := range workloads {
		if !w.IsFunction() || w.Function.State != "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			out, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(w.ID)})
			mu.Lock()
			defer mu.Unlock()
			var nf *lambdatypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf):
				gone[w] = true
			case err != nil:
				errs = append(errs, fmt.Errorf("get function %s: %w", w.ID, err))
			case out.Configuration != nil:
				setLambdaState(w.Function, *out.Configuration)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	kept := workloads[:0]
	for _, w := range workloads {
		if !gone[w] {
			kept = append(kept, w)
		}
	}
	return kept, nil
}
