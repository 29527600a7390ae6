package app

import (
	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// managedInstancesOf is what the needs of a Lambda Managed Instances
// function depend on; nil for any other workload.
func managedInstancesOf(w *workload.Workload) *needs.ManagedInstances {
	if w.Kind != workload.KindManagedInstancesFunction || w.Function == nil {
		return nil
	}
	return &needs.ManagedInstances{CapacityProviderARN: w.Function.CapacityProviderARN, TracingActive: w.Function.TracingMode == workload.TracingActive}
}
