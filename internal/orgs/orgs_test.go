package orgs_test

import (
	"bytes"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/orgs"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// post makes an Organizations call the client does not offer, to seed the
// emulator.
func post(t *testing.T, srv *emulator.Server, op, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d", op, resp.StatusCode)
	}
}

func TestListsAccountsAndNamesThem(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	c := orgs.New(cfg, "aws")
	if _, err := c.ListAccounts(t.Context()); err == nil {
		t.Log("an organisation exists already")
	}
	post(t, srv, "CreateOrganization", `{"FeatureSet":"ALL"}`)
	post(t, srv, "CreateAccount", `{"AccountName":"payments","Email":"payments@example.com"}`)
	accounts, err := c.ListAccounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var payments string
	for _, a := range accounts {
		names = append(names, a.Name)
		if a.Name == "payments" {
			payments = a.ID
		}
	}
	if !slices.Contains(names, "payments") || len(accounts) < 2 {
		t.Fatalf("accounts %+v, want the management account and payments", accounts)
	}
	if got := c.AccountName(t.Context(), payments); got != "payments" {
		t.Errorf("AccountName(%s) = %q, want payments", payments, got)
	}
	if got := c.AccountName(t.Context(), "999999999999"); got != "" {
		t.Errorf("an account outside the organisation is named %q", got)
	}
	// Without a way to read names, alerts carry the ID alone.
	broken := orgs.New(aws.Config{Credentials: cfg.Credentials, BaseEndpoint: aws.String("http://127.0.0.1:1")}, "aws")
	if got := broken.AccountName(t.Context(), payments); got != "" {
		t.Errorf("an unreachable Organizations named %q", got)
	}
}
