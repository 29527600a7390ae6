package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcmedic/vpcmedic/internal/faults"
)

func TestStalledAttemptsAreCutRetriedAndBoundedPerOperation(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcSet/></DescribeVpcsResponse>`))
	}))
	defer backend.Close()
	p, err := faults.New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(p.URL), Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	WithTimeouts(&cfg, 200*time.Millisecond, time.Minute)
	WithTimeouts(&cfg, 200*time.Millisecond, time.Minute) // replaces, does not stack
	client := ec2.NewFromConfig(cfg)
	invocation, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()

	t.Run("one stalled attempt is retried", func(t *testing.T) {
		p.Inject("DescribeVpcs", faults.Stall, 1)
		before := p.Calls("DescribeVpcs")
		if _, err := client.DescribeVpcs(invocation, &ec2.DescribeVpcsInput{}); err != nil {
			t.Fatalf("the retry after a stalled attempt failed: %v", err)
		}
		if got := p.Calls("DescribeVpcs") - before; got != 2 {
			t.Errorf("%d attempts, want the stalled one and its retry", got)
		}
	})
	t.Run("a service that keeps stalling fails the operation", func(t *testing.T) {
		p.Inject("DescribeVpcs", faults.Stall, 10)
		defer p.Clear("DescribeVpcs")
		if _, err := client.DescribeVpcs(invocation, &ec2.DescribeVpcsInput{}); err == nil {
			t.Fatal("a stalled service answered")
		}
		if invocation.Err() != nil {
			t.Fatalf("the call ended with the invocation: %v", invocation.Err())
		}
	})
	t.Run("the operation's deadline cuts a long attempt", func(t *testing.T) {
		bounded := cfg.Copy()
		WithTimeouts(&bounded, time.Hour, 300*time.Millisecond)
		p.Inject("DescribeVpcs", faults.Stall, 1)
		defer p.Clear("DescribeVpcs")
		if _, err := ec2.NewFromConfig(bounded).DescribeVpcs(invocation, &ec2.DescribeVpcsInput{}); err == nil {
			t.Fatal("a stalled service answered")
		}
		if invocation.Err() != nil {
			t.Fatalf("the call ended with the invocation: %v", invocation.Err())
		}
	})
}

func TestOwnRolesList(t *testing.T) {
	got := ownRoles(" arn:aws:iam::1:role/a, ,arn:aws:iam::1:role/b,")
	if want := []string{"arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"}; !slices.Equal(got, want) {
		t.Errorf("ownRoles = %q, want %q", got, want)
	}
	if got := ownRoles(""); len(got) != 0 {
		t.Errorf("ownRoles(\"\") = %q", got)
	}
}
