package faults

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// backend answers DescribeVpcEndpoints with one available endpoint, its
// state after its ID, and a nested item that has a state of its own.
const describeAnswer = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcEndpointSet>
<item><vpcEndpointId>vpce-0a1</vpcEndpointId><dnsEntries><item><state>available</state></item></dnsEntries><state>available</state></item>
<item><state>available</state><vpcEndpointId>vpce-0b2</vpcEndpointId></item>
</vpcEndpointSet></DescribeVpcEndpointsResponse>`

func ec2Client(t *testing.T, url string, attempts int) *ec2.Client {
	t.Helper()
	return ec2.New(ec2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		Retryer:     retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), attempts), 0),
	})
}

func startProxy(t *testing.T) (*Proxy, *int) {
	t.Helper()
	p, served, _ := startRecordingProxy(t)
	return p, served
}

// startRecordingProxy also returns the invocation IDs of the calls that
// reached the backend, in order.
func startRecordingProxy(t *testing.T) (*Proxy, *int, *[]string) {
	t.Helper()
	served := 0
	var ids []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served++
		ids = append(ids, r.Header.Get(invocationIDHeader))
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(describeAnswer))
	}))
	t.Cleanup(backend.Close)
	p, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, &served, &ids
}

func TestInjectedFaultsAreRetriedThenPassThrough(t *testing.T) {
	for _, f := range []Fault{Throttle, ServerError, Drop} {
		p, served := startProxy(t)
		p.Inject("DescribeVpcEndpoints", f, 2)
		_, err := ec2Client(t, p.URL, 3).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{})
		if err != nil {
			t.Errorf("fault %d: the third attempt should pass: %v", f, err)
		}
		if got := p.Calls("DescribeVpcEndpoints"); got != 3 || *served != 1 {
			t.Errorf("fault %d: %d calls, %d reached the backend; want 3 and 1", f, got, *served)
		}
	}
}

func TestThrottleLooksLikeEC2s(t *testing.T) {
	p, _ := startProxy(t)
	p.Inject("DescribeVpcEndpoints", Throttle, 1)
	_, err := ec2Client(t, p.URL, 1).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "RequestLimitExceeded" {
		t.Fatalf("error %v, want RequestLimitExceeded", err)
	}
}

func TestStallLastsUntilTheCallerGivesUp(t *testing.T) {
	p, served := startProxy(t)
	p.Inject("DescribeVpcEndpoints", Stall, 1)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for p.Calls("DescribeVpcEndpoints") == 0 {
		}
		cancel()
	}()
	_, err := ec2Client(t, p.URL, 1).DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err == nil || *served != 0 {
		t.Fatalf("a stalled call returned %v, backend served %d", err, *served)
	}
}

func TestKeepPendingShowsCreatedEndpointsPendingForNReads(t *testing.T) {
	p, _ := startProxy(t)
	p.created["vpce-0a1"] = true
	p.KeepPending(2)
	client := ec2Client(t, p.URL, 1)
	var got []string
	for range 3 {
		out, err := client.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, e := range out.VpcEndpoints {
			states = append(states, aws.ToString(e.VpcEndpointId)+"="+string(e.State))
			if !strings.EqualFold(string(e.State), string(types.StatePending)) && !strings.EqualFold(string(e.State), string(types.StateAvailable)) {
				t.Errorf("state %q", e.State)
			}
		}
		got = append(got, strings.Join(states, ","))
	}
	want := []string{"vpce-0a1=pending,vpce-0b2=available", "vpce-0a1=pending,vpce-0b2=available", "vpce-0a1=available,vpce-0b2=available"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("reads %v, want %v", got, want)
	}
}

// A lost answer reaches the backend, yet the caller sees a failure and
// tries again: both tries reach the backend, the lost one under an
// invocation ID of its own, so that the emulator carries the retry out
// rather than answering it with the lost answer.
func TestLoseAnswerLetsTheCallThroughAndFailsTheCaller(t *testing.T) {
	p, _, recorded := startRecordingProxy(t)
	p.Inject("DescribeVpcEndpoints", LoseAnswer, 1)
	if _, err := ec2Client(t, p.URL, 1).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{}); err == nil {
		t.Error("the caller got an answer that was lost")
	}
	if len(*recorded) != 1 {
		t.Errorf("%d calls reached the backend, want 1", len(*recorded))
	}
	if _, err := ec2Client(t, p.URL, 2).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{}); err != nil {
		t.Errorf("the next call failed: %v", err)
	}
	p.Inject("DescribeVpcEndpoints", LoseAnswer, 1)
	if _, err := ec2Client(t, p.URL, 2).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{}); err != nil {
		t.Errorf("the retry of a lost answer failed: %v", err)
	}
	ids := *recorded
	if len(ids) != 4 || ids[2] == ids[3] || ids[3] == "" || !strings.HasPrefix(ids[2], "lost-answer-") {
		t.Errorf("invocation IDs reaching the backend %q: want the lost attempt's own, then the caller's", ids)
	}
}

// Before runs its hook once, ahead of the call it precedes.
func TestBeforeRunsOnceAheadOfTheCall(t *testing.T) {
	p, served := startProxy(t)
	var seen []int
	p.Before("DescribeVpcEndpoints", func(params url.Values) {
		if params.Get("Action") != "DescribeVpcEndpoints" {
			t.Errorf("hook given %v, want the call's parameters", params)
		}
		seen = append(seen, *served)
	})
	for range 2 {
		if _, err := ec2Client(t, p.URL, 1).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 1 || seen[0] != 0 {
		t.Errorf("hook saw %v calls served, want it run once before the first call", seen)
	}
}
