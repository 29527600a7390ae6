package emulator

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// invocationIDHeader is what the SDK sends, the same on every attempt of
// one operation call; the emulator answers retried attempts by it.
const invocationIDHeader = "Amz-Sdk-Invocation-Id"

// A connection dropped while the answer is read is retried, for a read and
// a change alike, every attempt of one call under one invocation ID.
func TestDroppedAnswersAreRetriedUnderOneInvocationID(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	ids := map[string][]string{} // action -> invocation IDs of its attempts
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_ = req.ParseForm()
				mu.Lock()
				action := req.PostForm.Get("Action")
				ids[action] = append(ids[action], req.Header.Get(invocationIDHeader))
				mu.Unlock()
				// Headers and part of the body, then a reset.
				_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 500\r\n\r\n<DescribeVpcsResponse>"))
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0)
				}
			}()
		}
	}()
	srv := &Server{URL: (&url.URL{Scheme: "http", Host: ln.Addr().String()}).String()}
	cfg, err := srv.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	if _, err := client.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{}); err == nil {
		t.Fatal("a dropped answer read as a success")
	}
	if _, err := client.CreateVpc(t.Context(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}); err == nil {
		t.Fatal("a dropped answer read as a success")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, action := range []string{"DescribeVpcs", "CreateVpc"} {
		got := ids[action]
		if len(got) != 3 {
			t.Errorf("%s: %d attempts, want 3", action, len(got))
			continue
		}
		if got[0] == "" || got[1] != got[0] || got[2] != got[0] {
			t.Errorf("%s: attempts under invocation IDs %q, want one ID for all", action, got)
		}
	}
	if len(ids["CreateVpc"]) > 0 && len(ids["DescribeVpcs"]) > 0 && ids["CreateVpc"][0] == ids["DescribeVpcs"][0] {
		t.Error("two calls share an invocation ID")
	}
}

// A change whose answer is lost on the way back is retried, and the
// emulator answers the retry with the first attempt's answer instead of
// making the change a second time.
func TestAChangeWhoseAnswerWasLostIsMadeOnce(t *testing.T) {
	srv := Shared(t)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	// The change is made; its answer never reaches the caller.
	proxy, attempts := dropFirst(t, func(r *http.Request) { forward.ServeHTTP(httptest.NewRecorder(), r) }, forward)

	cfg := srv.MustConfig(t)
	cfg.BaseEndpoint = aws.String(proxy.URL)
	out, err := ec2.NewFromConfig(cfg).CreateVpc(t.Context(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.77.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc with its first answer lost: %v", err)
	}
	if n := attempts(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	vpcs, err := ec2.NewFromConfig(srv.MustConfig(t)).DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("cidr"), Values: []string{"10.77.0.0/16"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].VpcId) != aws.ToString(out.Vpc.VpcId) {
		t.Errorf("VPCs of 10.77.0.0/16: %d, want only %s, the one answered", len(vpcs.Vpcs), aws.ToString(out.Vpc.VpcId))
	}
}

// A test-only request (a reset, a mapping's state) whose connection is
// dropped is sent again: it sets state, so a second try is safe.
func TestStateRequestsAreSentAgainAfterADroppedConnection(t *testing.T) {
	backend, tries := dropFirst(t, func(*http.Request) {}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := &Server{URL: backend.URL, client: backend.Client()}
	if err := srv.SetESMState(t.Context(), "uuid-1", "Enabled", "", ""); err != nil {
		t.Fatalf("after one dropped connection: %v", err)
	}
	if n := tries(); n != 2 {
		t.Errorf("%d tries, want 2", n)
	}
}

// dropFirst is a server that hands its first request to first and then
// closes the connection unanswered, and serves the others with rest. It
// returns the server (closed with the test) and the count of requests.
func dropFirst(t *testing.T, first func(*http.Request), rest http.Handler) (*httptest.Server, func() int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		isFirst := n == 1
		mu.Unlock()
		if !isFirst {
			rest.ServeHTTP(w, r)
			return
		}
		first(r)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}
