package rolepolicy

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeIAM serves a role's policies two per page, documents URL-encoded as
// IAM sends them.
type fakeIAM struct {
	inline    map[string]string // name -> document
	attached  []string
	managed   map[string]string // ARN -> document of the default version
	denyRole  bool
	getPolicy atomic.Int32
}

var _ IAM = (*fakeIAM)(nil)

func page[T any](all []T, marker *string) ([]T, *string) {
	start := 0
	if marker != nil {
		start = int(aws.ToString(marker)[0] - '0')
	}
	end := min(start+2, len(all))
	if end < len(all) {
		return all[start:end], aws.String(string(rune('0' + end)))
	}
	return all[start:end], nil
}

func (f *fakeIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if f.denyRole {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:ListRolePolicies"}
	}
	var names []string
	for n := range f.inline {
		names = append(names, n)
	}
	slices.Sort(names)
	got, next := page(names, in.Marker)
	return &iam.ListRolePoliciesOutput{PolicyNames: got, Marker: next, IsTruncated: next != nil}, nil
}

func (f *fakeIAM) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	var all []iamtypes.AttachedPolicy
	for _, a := range f.attached {
		all = append(all, iamtypes.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	got, next := page(all, in.Marker)
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: got, Marker: next, IsTruncated: next != nil}, nil
}

func (f *fakeIAM) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(url.PathEscape(f.inline[aws.ToString(in.PolicyName)]))}, nil
}

func (f *fakeIAM) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	f.getPolicy.Add(1)
	if _, ok := f.managed[aws.ToString(in.PolicyArn)]; !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "policy not found"}
	}
	return &iam.GetPolicyOutput{Policy: &iamtypes.Policy{DefaultVersionId: aws.String("v3")}}, nil
}

func (f *fakeIAM) GetPolicyVersion(_ context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	if aws.ToString(in.VersionId) != "v3" {
		return nil, errors.New("asked for a version that is not the default")
	}
	return &iam.GetPolicyVersionOutput{PolicyVersion: &iamtypes.PolicyVersion{Document: aws.String(url.PathEscape(f.managed[aws.ToString(in.PolicyArn)]))}}, nil
}

const (
	snsDoc = `{"Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:a b+c"}]}`
	s3Doc  = `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

func TestPoliciesReadsEveryPageInlineAndManagedDecoded(t *testing.T) {
	f := &fakeIAM{
		inline:   map[string]string{"a": snsDoc, "b": s3Doc, "c": s3Doc},
		attached: []string{"arn:aws:iam::123456789012:policy/app/shared", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"},
		managed: map[string]string{
			"arn:aws:iam::123456789012:policy/app/shared":                          snsDoc,
			"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess":                       s3Doc,
			"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": s3Doc,
		},
	}
	r := (&Reader{IAM: f}).Scoped()
	got, err := r.Policies(t.Context(), "arn:aws:iam::123456789012:role/service/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
		if p.Name == "a (inline, role orders-api)" && p.Document != snsDoc {
			t.Errorf("inline document %q, want it decoded to %q", p.Document, snsDoc)
		}
		if p.Name == "arn:aws:iam::123456789012:policy/app/shared" && p.Document != snsDoc {
			t.Errorf("managed document %q, want it decoded (+ kept) to %q", p.Document, snsDoc)
		}
	}
	want := []string{"a (inline, role orders-api)", "b (inline, role orders-api)", "c (inline, role orders-api)",
		"arn:aws:iam::123456789012:policy/app/shared", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}
	if !slices.Equal(names, want) {
		t.Errorf("policies %v, want %v (every page of both lists)", names, want)
	}
	// A second role with the same managed policies reads them from the
	// cache of this run.
	if _, err := r.Policies(t.Context(), "arn:aws:iam::123456789012:role/other"); err != nil {
		t.Fatal(err)
	}
	if n := f.getPolicy.Load(); n != 3 {
		t.Errorf("GetPolicy called %d times for 3 distinct policies over two roles", n)
	}
}

func TestPoliciesRefusalsAreReportedAsSuch(t *testing.T) {
	tests := []struct {
		name string
		iam  *fakeIAM
		arn  string
		want string
	}{
		{"access denied", &fakeIAM{denyRole: true}, "arn:aws:iam::123456789012:role/x", "AccessDenied"},
		{"a managed policy that is gone", &fakeIAM{attached: []string{"arn:aws:iam::123456789012:policy/gone"}}, "arn:aws:iam::123456789012:role/x", "NoSuchEntity"},
		{"not a role", &fakeIAM{}, "arn:aws:iam::123456789012:user/x", "not a role ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&Reader{IAM: tt.iam}).Policies(t.Context(), tt.arn)
			var refusal *Refusal
			if !errors.As(err, &refusal) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a refusal saying %q", err, tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"b+c"}`:               `{"a":"b+c"}`,
		"%7B%22a%22%3A%22b+c%22%7D": `{"a":"b+c"}`,
		"%7B%22a%22%3A+1%7D":        `{"a": 1}`,
	} {
		if got := decode(in); got != want {
			t.Errorf("decode(%q) = %q, want %q", in, got, want)
		}
	}
}
