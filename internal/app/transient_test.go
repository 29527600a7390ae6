package app

import (
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

// A shard delivered again is worth it for throttling and server errors,
// not for a refusal, which the next delivery would meet too.
func TestTransientErrorsAreThrottlingAndServerFaults(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("list functions: %w", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}), true},
		{fmt.Errorf("describe vpcs: %w", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}), true},
		{fmt.Errorf("assume role: %w", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}), false},
		{fmt.Errorf("no such account"), false},
	} {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
