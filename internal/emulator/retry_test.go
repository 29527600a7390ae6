package emulator

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// A connection dropped while the answer is read is retried for a read and
// not for a change, which may have been made.
func TestDroppedAnswersAreRetriedForReadsOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	requests := map[string]int{}
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
				requests[req.PostForm.Get("Action")]++
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
	if requests["DescribeVpcs"] != 3 || requests["CreateVpc"] != 1 {
		t.Errorf("requests = %v, want DescribeVpcs 3 times and CreateVpc once", requests)
	}
}
