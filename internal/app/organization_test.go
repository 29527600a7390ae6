package app_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/notify"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Member accounts of the organisation tests. The emulator keeps one backend
// per account, and sts:AssumeRole into a role of another account returns
// credentials acting in that account (moto 5.2.1, probed).
const (
	memberA = "111111111111"
	memberB = "222222222222"
)

// publishingPolicy makes a VPC function need SNS: in private subnets
// without NAT or endpoint it is broken.
const publishingPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`

// memberWorkload is a broken VPC function seeded in a member account.
type memberWorkload struct {
	Account string
	ARN     string
	VPC     *scenario.VPC
	Net     scenario.Subnets
	SG      *scenario.SG
}

// seedMember creates, as the member account itself, a VPC function there
// that cannot reach SNS.
func seedMember(t *testing.T, srv *emulator.Server, account, name string) memberWorkload {
	t.Helper()
	cfg := srv.MustConfig(t)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::"+account+":role/seed"))
	s := scenario.New(cfg)
	vpc := s.VPC("10.40.0.0/16")
	net := vpc.PrivateSubnets("10.40.10.0/24@a", "10.40.11.0/24@b")
	sg := vpc.SecurityGroup(name)
	fn := s.Function(name, s.Role(name+"-execution", scenario.ManagedPolicy("AWSLambdaVPCAccessExecutionRole"), scenario.Inline(publishingPolicy)), scenario.InVPC(net, sg))
	if err := s.Err(); err != nil {
		t.Fatalf("seed account %s: %v", account, err)
	}
	return memberWorkload{Account: account, ARN: fn.ARN, VPC: vpc, Net: net, SG: sg}
}

// buildHub builds a function as the hub of an organisation, counting the
// roles it assumes.
func buildHub(t *testing.T, srv *emulator.Server, function string, env map[string]string) (*runner.Deps, *atomic.Int32) {
	t.Helper()
	useEmulatorEnv(t, srv)
	for k, v := range env {
		t.Setenv(k, v)
	}
	assumed := &atomic.Int32{}
	count := func(cfg *aws.Config) {
		cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("CountAssumeRole", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetOperationName(ctx) == "AssumeRole" {
					assumed.Add(1)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
		})
	}
	d, err := runner.Build(t.Context(), function, slog.New(slog.NewTextHandler(t.Output(), nil)), count)
	if err != nil {
		t.Fatal(err)
	}
	return d, assumed
}

// memberEvent is the CreateFunction sample as the member account sends it
// to the hub's bus.
func memberEvent(t *testing.T, w memberWorkload, eventID string) []byte {
	t.Helper()
	name := w.ARN[strings.LastIndex(w.ARN, ":")+1:]
	return sample(t, "on-lambda-change/CreateFunction-vpc.json",
		emulator.Account, w.Account, "billing-api", name, "41f8b539-e85d-51db-b2ab-f16cd4909455", eventID,
		sampleBillingSubnetA, w.Net[0].ID, sampleBillingSubnetB, w.Net[1].ID,
		sampleBillingSG, w.SG.ID, sampleBillingVPC, w.VPC.ID)
}

func TestEventOfAMemberAccountIsDiagnosedInThatAccount(t *testing.T) {
	srv := emulator.Shared(t)
	a := seedMember(t, srv, memberA, "ledger-a")
	b := seedMember(t, srv, memberB, "ledger-b")
	d, assumed := buildHub(t, srv, app.OnLambdaChange, map[string]string{"ORGANIZATION_ID": "o-example"})

	for i, w := range []memberWorkload{a, b} {
		rep := handle(t, d, memberEvent(t, w, "c0ffee00-0000-4000-8000-00000000000"+string(rune('1'+i))))
		if len(rep.Workloads) != 1 || rep.Workloads[0].ID != w.ARN || rep.Workloads[0].VPCID != w.VPC.ID {
			t.Fatalf("event of %s: workloads %+v (skip %q), want %s in %s", w.Account, rep.Workloads, rep.Trigger.Skip, w.ARN, w.VPC.ID)
		}
		if rep.Workloads[0].Status != report.StatusBroken {
			t.Errorf("%s: status %s, want broken (no path to SNS in its own account)", w.ARN, rep.Workloads[0].Status)
		}
		if rep.Trigger.Account != w.Account || !strings.Contains(notify.Body(rep), w.Account) {
			t.Errorf("the alert does not name account %s", w.Account)
		}
	}
	// One role per account, each assumed once: the container caches the
	// credentials.
	handle(t, d, memberEvent(t, a, "c0ffee00-0000-4000-8000-000000000009"))
	if got := assumed.Load(); got != 2 {
		t.Errorf("AssumeRole called %d times, want 2 (once per member account)", got)
	}
}

func TestEventOfTheHubsOwnAccountAssumesNoRole(t *testing.T) {
	srv, f := seededAccount(t)
	d, assumed := buildHub(t, srv, app.OnLambdaChange, map[string]string{"ORGANIZATION_ID": "o-example"})

	rep := handle(t, d, sample(t, "on-lambda-change/CreateFunction-vpc.json",
		sampleBillingSubnetA, f.BillingNet[0].ID, sampleBillingSubnetB, f.BillingNet[1].ID,
		sampleBillingSG, f.BillingSG.ID, sampleBillingVPC, f.BillingVPC.ID))
	wantWorkloads(t, rep, vpcFunction("billing-api", f.BillingVPC.ID))
	if got := assumed.Load(); got != 0 {
		t.Errorf("AssumeRole called %d times for the hub's own account, want 0", got)
	}
}

func TestSweepOfTheOrganizationSendsOneSummaryNamingEachAccount(t *testing.T) {
	srv := emulator.Shared(t)
	a := seedMember(t, srv, memberA, "orders-a")
	b := seedMember(t, srv, memberB, "orders-b")
	d, assumed := buildHub(t, srv, app.Sweep, map[string]string{"MEMBER_ACCOUNTS": memberA + ", " + memberB})

	rep, err := d.App.Run(t.Context(), trail.Sweep(emulator.Account, emulator.Region, time.Now().UTC()))
	if err != nil {
		t.Fatal(err)
	}
	var accounts []string
	for _, run := range rep.Accounts {
		if run.Error != "" {
			t.Errorf("account %s not swept: %s", run.Account, run.Error)
		}
		accounts = append(accounts, run.Account)
	}
	if want := []string{emulator.Account, memberA, memberB}; !slices.Equal(accounts, want) {
		t.Errorf("accounts swept %v, want %v", accounts, want)
	}
	for _, w := range []memberWorkload{a, b} {
		i := slices.IndexFunc(rep.Workloads, func(r report.Workload) bool { return r.ID == w.ARN })
		if i < 0 {
			t.Errorf("the sweep did not check %s", w.ARN)
			continue
		}
		if got := rep.Workloads[i]; got.Account != w.Account || got.Region != emulator.Region || got.Status != report.StatusBroken {
			t.Errorf("%s: account %s, region %s, status %s; want %s, %s, broken", w.ARN, got.Account, got.Region, got.Status, w.Account, emulator.Region)
		}
	}
	body := notify.Body(rep)
	for _, acct := range []string{memberA, memberB} {
		if !strings.Contains(body, "- "+acct+" "+emulator.Region+": ") {
			t.Errorf("the summary has no line for account %s:\n%s", acct, body[:min(len(body), 1500)])
		}
	}
	if !strings.HasPrefix(notify.Subject(rep), "vpcmedic sweep:") {
		t.Errorf("subject %q, want one sweep summary", notify.Subject(rep))
	}
	if got := assumed.Load(); got != 2 {
		t.Errorf("AssumeRole called %d times, want 2", got)
	}
}
