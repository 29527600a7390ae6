package app

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/rolepolicy"
	"github.com/vpcmedic/vpcmedic/internal/simulate"
	"github.com/vpcmedic/vpcmedic/internal/topology"
)

// Target is an account and Region vpcmedic checks from the hub it runs in.
type Target struct {
	Account string
	Region  string
	// Partition is the hub's (aws, aws-cn, aws-us-gov): member roles are
	// in the same partition.
	Partition string
}

func (t Target) String() string { return t.Account + "/" + t.Region }

// Clients are what acts in one account and Region: everything that reads
// or changes a workload and its network. Alerts and the alert memory stay
// the hub's.
type Clients struct {
	Inventory *inventory.Reader
	// Lister lists every workload of the account (network changes and
	// the sweep).
	Lister   inventory.Lister
	Topology *topology.Reader
	// Simulator checks execution roles; nil skips that check.
	Simulator *simulate.Simulator
	// Roles reads execution role policies to infer what a VPC function
	// calls; nil leaves its policies unread.
	Roles *rolepolicy.Reader
	// Applier makes planned changes in remediate mode; nil: plans are
	// only reported.
	Applier Applier
	// CallerARN returns the ARN vpcmedic runs as there
	// (sts:GetCallerIdentity: in a member account, the member role's
	// session), to recognise its own changes.
	CallerARN func(context.Context) (string, error)
	// OwnRoleARNs are vpcmedic's roles (VPCMEDIC_ROLE_ARNS, and in a member
	// account the member role): a change one of them makes is never a
	// trigger.
	OwnRoleARNs []string
}

// Connect returns the clients of an account and Region other than the
// hub's own account and Region (for another account, with the member
// role's credentials).
type Connect func(context.Context, Target) (*Clients, error)

// accounts caches the App of each account and Region a warm container has
// met, and with it the member credentials (which their clients cache).
type accounts struct {
	mu   sync.Mutex
	apps map[Target]*App
}

// For returns the App that checks account and Region: a itself for its own
// account and Region (or when a has no Connect: one account only), else an
// App sharing a's configuration, alerts and memory whose clients act in
// that account and Region. Empty account or region mean a's own.
func (a *App) For(ctx context.Context, account, region string) (*App, error) {
	if a.Connect == nil {
		return a, nil
	}
	if region == "" {
		region = a.Region
	}
	own, partition, err := a.ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	if account == "" {
		account = own
	}
	if account == own && region == a.Region {
		return a, nil
	}
	t := Target{Account: account, Region: region, Partition: partition}
	a.members.mu.Lock()
	defer a.members.mu.Unlock()
	if m := a.members.apps[t]; m != nil {
		return m, nil
	}
	c, err := a.Connect(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("reach account %s in %s: %w", account, region, err)
	}
	m := &App{
		Function: a.Function, Region: region, Config: a.Config, Clients: *c,
		State: a.State, Notifier: a.Notifier, Names: a.Names,
		Now: a.Now, Sleep: a.Sleep, Log: a.Log,
		Account: account,
	}
	m.OwnRoleARNs = append(append([]string(nil), a.OwnRoleARNs...), c.OwnRoleARNs...)
	if account != own {
		// VPC IDs are unique per account: leases name the account.
		m.State = a.State.ForAccount(account)
	}
	if a.members.apps == nil {
		a.members.apps = map[Target]*App{}
	}
	a.members.apps[t] = m
	return m, nil
}

// ownAccount is the account and partition vpcmedic runs in, from its own
// identity (learnt once).
func (a *App) ownAccount(ctx context.Context) (account, partition string, err error) {
	if a.Account != "" && a.partition != "" {
		return a.Account, a.partition, nil
	}
	arn, err := a.callerARN(ctx)
	if err != nil {
		return "", "", fmt.Errorf("learn vpcmedic's own account: %w", err)
	}
	// arn:partition:sts::account:assumed-role/...
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[4] == "" {
		return "", "", fmt.Errorf("learn vpcmedic's own account: %q is not an ARN", arn)
	}
	a.partition = parts[1]
	if a.Account == "" {
		a.Account = parts[4]
	}
	return a.Account, a.partition, nil
}

// callerARN returns who vpcmedic runs as, asked once.
func (a *App) callerARN(ctx context.Context) (string, error) {
	if a.CallerARN == nil {
		return "", fmt.Errorf("no caller identity")
	}
	a.callerOnce.Do(func() { a.caller, a.callerErr = a.CallerARN(ctx) })
	return a.caller, a.callerErr
}

// AccountNamer names accounts for alerts ("" when it cannot).
type AccountNamer interface {
	AccountName(ctx context.Context, account string) string
}

// accountName is the name of the trigger's account, for the alert; only
// with an organisation configured (Names set).
func (a *App) accountName(ctx context.Context, account string) string {
	if a.Names == nil || account == "" {
		return ""
	}
	return a.Names.AccountName(ctx, account)
}
