// Package orgs reads the accounts of an AWS organisation: the two
// Organizations calls vpcmedic makes (ListAccounts, DescribeAccount), over
// the service's JSON protocol, signed with Signature Version 4. It exists so
// that the hub needs no further SDK module for them.
package orgs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Account is one account of the organisation.
type Account struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Status string `json:"Status"`
}

// Client calls Organizations with an SDK configuration's credentials.
type Client struct {
	cfg      aws.Config
	endpoint string
	region   string

	mu    sync.Mutex
	names map[string]string
}

// New returns a client of the partition's single Organizations endpoint:
// "specify the us-east-1 region for all AWS API and AWS CLI calls made from
// the commercial AWS Regions outside of China", cn-northwest-1 from China
// (Organizations API Reference, "Endpoint to call"). cfg.BaseEndpoint, when
// set (an emulator), wins.
func New(cfg aws.Config, partition string) *Client {
	c := &Client{cfg: cfg, region: "us-east-1", endpoint: "https://organizations.us-east-1.amazonaws.com"}
	switch partition {
	case "aws-cn":
		c.region, c.endpoint = "cn-northwest-1", "https://organizations.cn-northwest-1.amazonaws.com.cn"
	case "aws-us-gov":
		c.region, c.endpoint = "us-gov-west-1", "https://organizations.us-gov-west-1.amazonaws.com"
	}
	if cfg.BaseEndpoint != nil {
		c.endpoint = strings.TrimRight(*cfg.BaseEndpoint, "/")
	}
	return c
}

// ListAccounts returns every account of the organisation, all pages.
func (c *Client) ListAccounts(ctx context.Context) ([]Account, error) {
	var all []Account
	var token string
	for {
		in := map[string]any{}
		if token != "" {
			in["NextToken"] = token
		}
		var out struct {
			Accounts  []Account
			NextToken string
		}
		if err := c.call(ctx, "ListAccounts", in, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Accounts...)
		if token = out.NextToken; token == "" {
			return all, nil
		}
	}
}

// AccountName returns an account's name, or "" when it cannot be read (no
// permission, not in the organisation): alerts then name the ID alone.
// Names are cached for the life of the client.
func (c *Client) AccountName(ctx context.Context, id string) string {
	c.mu.Lock()
	name, ok := c.names[id]
	c.mu.Unlock()
	if ok {
		return name
	}
	var out struct{ Account Account }
	if err := c.call(ctx, "DescribeAccount", map[string]any{"AccountId": id}, &out); err == nil {
		name = out.Account.Name
	}
	c.mu.Lock()
	if c.names == nil {
		c.names = map[string]string{}
	}
	c.names[id] = name
	c.mu.Unlock()
	return name
}

// Remember records names already known (from ListAccounts).
func (c *Client) Remember(accounts []Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names == nil {
		c.names = map[string]string{}
	}
	for _, a := range accounts {
		c.names[a.ID] = a.Name
	}
}

func (c *Client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	if c.cfg.Credentials == nil {
		return fmt.Errorf("organizations %s: no credentials", op)
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("organizations %s: %w", op, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "organizations", c.region, time.Now()); err != nil {
		return fmt.Errorf("organizations %s: sign: %w", op, err)
	}
	client := c.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("organizations %s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("organizations %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		return fmt.Errorf("organizations %s: HTTP %d %s: %s", op, resp.StatusCode, e.Type, e.Message)
	}
	return json.Unmarshal(raw, out)
}
