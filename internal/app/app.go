// Package app is vpcmedic's pipeline for one trigger: parse the event, skip
// what needs no work, resolve the workloads it can affect, read their
// networks, check them, and alert. It decides which errors are terminal
// (bad input: never retried) and which are transient (AWS errors: retried).
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/notify"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/rolepolicy"
	"github.com/vpcmedic/vpcmedic/internal/simulate"
	"github.com/vpcmedic/vpcmedic/internal/trail"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// Function names, as in functions/ and template.yaml.
const (
	OnLambdaChange  = "on-lambda-change"
	OnNetworkChange = "on-network-change"
	Sweep           = "sweep"
)

// sources says which event sources each function handles: MSK, Amazon MQ
// and RDS changes go to on-lambda-change, since they are checked as changes
// of the mappings on the cluster or broker.
var sources = map[string][]string{
	OnLambdaChange:  {trail.SourceLambda, trail.SourceKafka, trail.SourceMQ, trail.SourceRDS},
	OnNetworkChange: {trail.SourceEC2},
	Sweep:           {trail.SourceSchedule},
}

// App runs the pipeline for one of the functions.
type App struct {
	Function string
	// Region is the Region vpcmedic runs in (endpoint service names
	// depend on it).
	Region string
	Config config.Config
	// Clients read and change the workloads and networks of the App's
	// account and Region.
	Clients
	// State remembers handled events and open problems; nil: no memory.
	State *alertstate.Table
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time
	// Sleep waits between reads of a network that does not show a change
	// yet (a real sleep unless a test sets it).
	Sleep    func(context.Context, time.Duration) error
	Notifier *notify.Notifier
	Log      *slog.Logger

	// Connect reaches the other accounts and Regions of an organisation
	// (see For); nil: only this account and Region are checked.
	Connect Connect
	// Account is the account this App checks; empty until learnt from
	// CallerARN.
	Account string
	// Names gives an account's name for alerts; nil: IDs only.
	Names AccountNamer
	// SweepTargets lists the accounts and Regions the sweep walks; nil:
	// this account and Region only.
	SweepTargets func(context.Context) ([]Target, error)
	// Shards sends the shards of a sweep fanned out over the queue of
	// Config.SweepShardQueueURL; nil: every sweep runs in one invocation.
	Shards ShardQueue

	members    accounts
	partition  string
	callerOnce sync.Once
	caller     string
	callerErr  error
}

// TerminalError is a problem with the input: retrying cannot help.
type TerminalError struct{ Err error }

func (e *TerminalError) Error() string { return e.Err.Error() }
func (e *TerminalError) Unwrap() error { return e.Err }

// IsTerminal reports whether err is a problem with the input.
func IsTerminal(err error) bool {
	var t *TerminalError
	return errors.As(err, &t)
}

// Handle runs the pipeline on one raw event.
func (a *App) Handle(ctx context.Context, raw []byte) (report.Report, error) {
	t, err := trail.Parse(raw)
	if err != nil {
		return a.emptyReport(t), &TerminalError{Err: err}
	}
	// An event forwarded from a member account is checked there.
	target, err := a.For(ctx, t.Account, t.Region)
	if err != nil {
		return a.emptyReport(t), err
	}
	return target.Run(ctx, t)
}

func (a *App) emptyReport(t trail.Trigger) report.Report {
	if t.Resources == nil {
		t.Resources = []trail.Resource{}
	}
	return report.Report{Trigger: t, Mode: a.Config.Mode, Workloads: []report.Workload{}, Changes: []report.Change{}}
}

// Run runs the pipeline on a parsed trigger.
func (a *App) Run(ctx context.Context, t trail.Trigger) (report.Report, error) {
	log := a.logger(ctx).With("eventId", t.EventID, "eventName", t.EventName, "function", a.Function)
	rep := a.emptyReport(t)
	if want := sources[a.Function]; !slices.Contains(want, t.Source) {
		also := ""
		if len(want) > 1 {
			also = fmt.Sprintf("; it also handles %s events", strings.Join(want[1:], " and "))
		}
		return rep, &TerminalError{Err: fmt.Errorf("%s handles %s events, not %s %s (event %s)%s", a.Function, want[0], t.Source, t.EventName, t.EventID, also)}
	}
	// The event itself may say there is nothing to do (a failed call).
	skip, err := rep.Trigger.Skip, error(nil)
	// A large sweep is fanned out: its shards alert, under its claim.
	if skip == "" && a.fansOut(t) {
		if done, err := a.fanOut(ctx, log, &rep); done || err != nil {
			return rep, err
		}
	}
	// The workload is read while the run learns whether it has anything to
	// do; what it read is dropped if not.
	var early *resolution
	if skip == "" && a.sweepTargets(t) == nil {
		early = a.resolveEarly(ctx, t)
		defer early.stop()
	}
	if skip == "" {
		if skip, err = a.ownChange(ctx, t); err != nil {
			return rep, err
		}
	}
	var claim *alertstate.Claim
	if skip == "" {
		if claim, skip, err = a.claimEvent(ctx, t); err != nil {
			return rep, err
		}
	}
	if skip != "" {
		rep.Trigger.Skip = skip
		log.Info("skipped", "reason", skip)
		return rep, nil
	}
	err = a.runClaimed(ctx, log, claim, &rep, early)
	return rep, a.finishClaim(ctx, log, claim, rep, err)
}

// resolution is a resolve running beside the run's first reads.
type resolution struct {
	cancel    context.CancelFunc
	done      chan struct{}
	workloads []*workload.Workload
	skip      string
	err       error
}

// resolveEarly starts resolving the trigger's workloads, for the triggers
// naming one workload (or one source's mappings): their reads are few
// and only read. Network changes and sweeps list the whole account, and
// wait for the run to know it has work.
func (a *App) resolveEarly(ctx context.Context, t trail.Trigger) *resolution {
	if t.ESM == nil && t.Function == nil && t.Kafka == nil && t.SourceChange == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &resolution{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.workloads, r.skip, r.err = a.resolve(ctx, t)
	}()
	return r
}

// wait returns what the resolve found.
func (r *resolution) wait() ([]*workload.Workload, string, error) {
	<-r.done
	return r.workloads, r.skip, r.err
}

// stop ends a resolve the run no longer needs, and waits for it so that no
// call outlives the run.
func (r *resolution) stop() {
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
}

// runClaimed runs the pipeline on an event this run has claimed: on-call
// is told before anything is remembered, so that a failed publish leaves
// the retry to tell them. early, when set, is the resolve already started.
func (a *App) runClaimed(ctx context.Context, log *slog.Logger, claim *alertstate.Claim, rep *report.Report, early *resolution) error {
	var (
		remediationErr error
		known          *problems
	)
	if targets := a.sweepTargets(rep.Trigger); targets != nil {
		var err error
		if remediationErr, err = a.sweepAccounts(ctx, log, rep, targets); err != nil {
			return err
		}
	} else {
		var (
			workloads []*workload.Workload
			skip      string
			err       error
		)
		if early != nil {
			workloads, skip, err = early.wait()
		} else {
			workloads, skip, err = a.resolve(ctx, rep.Trigger)
		}
		if err != nil {
			return err
		}
		if skip != "" {
			rep.Trigger.Skip = skip
			log.Info("skipped", "reason", skip)
			return nil
		}
		log.Info("resolved workloads", "count", len(workloads))
		// What the memory holds of them is read beside their check.
		ids := make([]string, len(workloads))
		for i, w := range workloads {
			ids[i] = w.ID
		}
		known = a.readProblems(ctx, ids)
		defer known.stop()
		if remediationErr, err = a.check(ctx, log, rep, workloads); err != nil {
			return err
		}
		rep.AccountName = a.accountName(ctx, rep.Trigger.Account)
	}
	return a.alertRun(ctx, log, claim, rep, known, remediationErr)
}

// alertRun tells on-call what the checked report calls for and then
// remembers it; known, when set, is what the memory held of its workloads.
// remediationErr, a change that failed, is returned after the alert.
func (a *App) alertRun(ctx context.Context, log *slog.Logger, claim *alertstate.Claim, rep *report.Report, known *problems, remediationErr error) error {
	memories, err := a.classify(ctx, log, rep, known)
	if err != nil {
		return err
	}
	holds, memories, err := a.holdPages(ctx, log, claim, rep, memories)
	if err != nil {
		return err
	}
	err = a.alert(ctx, log, claim, rep)
	if err == nil {
		err = a.remember(ctx, log, claim, memories)
	}
	holds.finish(ctx, rep, err)
	if err != nil {
		return err
	}
	// A change that failed makes the run fail after on-call heard of it, so
	// that Lambda retries and the retry finishes the job.
	return remediationErr
}

// ownChange returns why the trigger is vpcmedic's own change, if it is.
func (a *App) ownChange(ctx context.Context, t trail.Trigger) (string, error) {
	if t.Actor == nil {
		return "", nil
	}
	if role, ok := t.Actor.MadeByAny(a.OwnRoleARNs); ok {
		return fmt.Sprintf("made by vpcmedic's role %s (%s): its own change", role, t.Actor.ARN), nil
	}
	if a.CallerARN == nil {
		return "", nil
	}
	caller, err := a.callerARN(ctx)
	if err != nil {
		return "", fmt.Errorf("learn vpcmedic's own identity: %w", err)
	}
	if t.Actor.MadeBy(caller) {
		return fmt.Sprintf("made by vpcmedic's own identity (%s): its own change", t.Actor.ARN), nil
	}
	return "", nil
}

// resolve returns the workloads a trigger can affect, or why there is
// nothing to check.
func (a *App) resolve(ctx context.Context, t trail.Trigger) ([]*workload.Workload, string, error) {
	switch {
	case t.ESM != nil:
		if t.Action == trail.ActionDeleteEventSourceMapping {
			return nil, "the event source mapping was deleted: nothing to check", nil
		}
		w, err := a.Inventory.ESM(ctx, t.ESM.UUID)
		switch {
		case errors.Is(err, inventory.ErrNotFound):
			return nil, fmt.Sprintf("event source mapping %s no longer exists", t.ESM.UUID), nil
		case err != nil:
			return nil, "", err
		case w == nil:
			return nil, fmt.Sprintf("event source mapping %s is not a Kafka mapping, nor an Amazon MQ or DocumentDB one: Lambda polls it outside any customer VPC", t.ESM.UUID), nil
		case w.MappingState() == inventory.StateDeleting:
			return nil, fmt.Sprintf("event source mapping %s is being deleted", t.ESM.UUID), nil
		}
		return []*workload.Workload{w}, "", nil
	case t.Function != nil:
		w, err := a.Inventory.Function(ctx, t.Function.ARN)
		switch {
		case errors.Is(err, inventory.ErrNotFound):
			return nil, fmt.Sprintf("function %s no longer exists", t.Function.ARN), nil
		case err != nil:
			return nil, "", err
		case w.Network.VPCID == "" && w.Kind != workload.KindManagedInstancesFunction:
			return nil, fmt.Sprintf("function %s is not attached to a VPC", t.Function.ARN), nil
		}
		return []*workload.Workload{w}, "", nil
	case t.Kafka != nil:
		return a.kafkaWorkloads(ctx, t.Kafka)
	case t.SourceChange != nil:
		return a.sourceChangeWorkloads(ctx, t.SourceChange)
	case t.Source == trail.SourceEC2 && t.AllVPCs != "":
		return a.workloadsInVPCs(ctx, t.AllVPCs)
	case t.Source == trail.SourceEC2:
		vpcs, complete, err := a.Topology.VPCsOf(ctx, t)
		if err != nil {
			return nil, "", err
		}
		// Only the workloads of the changed VPCs are read in full, unless
		// the change may affect any.
		var all []*workload.Workload
		if complete {
			all, err = a.Inventory.AllIn(ctx, a.Lister, append([]string{}, vpcs...))
		} else {
			all, err = a.Inventory.All(ctx, a.Lister)
		}
		if err != nil {
			return nil, "", err
		}
		if !complete {
			// The changed resource is gone: any workload may depend on it.
			return all, "", nil
		}
		var affected []*workload.Workload
		for _, w := range all {
			if w.InVPC(vpcs) {
				affected = append(affected, w)
			}
		}
		if len(affected) == 0 {
			return nil, fmt.Sprintf("no Kafka event source mapping or VPC function in %v", vpcs), nil
		}
		return affected, "", nil
	case t.Action == trail.ActionSweep:
		all, err := a.Inventory.All(ctx, a.Lister)
		return all, "", err
	}
	return nil, "", &TerminalError{Err: fmt.Errorf("event %s (%s) names nothing vpcmedic checks", t.EventID, t.EventName)}
}

// scopedReaders returns role and simulation readers that remember what
// they read for the length of one run.
func (a *App) scopedReaders() (*rolepolicy.Reader, *simulate.Simulator) {
	var roles *rolepolicy.Reader
	if a.Roles != nil {
		roles = a.Roles.Scoped()
	}
	var sim *simulate.Simulator
	if a.Simulator != nil {
		sim = a.Simulator.Scoped()
	}
	return roles, sim
}

// check reads each VPC once, checks every workload in it, plans the fixes
// of the broken ones, and in remediate mode applies them and re-checks.
// It returns the error of remediation (retryable, reported after the
// alert) apart from the errors that stop the run.
func (a *App) check(ctx context.Context, log *slog.Logger, rep *report.Report, workloads []*workload.Workload) (remediationErr, err error) {
	// Roles, managed policies and simulations shared by many workloads are
	// read once per run.
	roles, sim := a.scopedReaders()
	// A workload's role is read and simulated beside the read of the
	// networks, which it does not depend on. A network change may narrow
	// the workloads to those its network shows affected: those are read
	// once it is known which.
	var early *preparation
	if rep.Trigger.Source != trail.SourceEC2 {
		early = a.prepareAll(ctx, workloads, roles, sim)
	}
	snapshots, err := a.readNetworks(ctx, workloads)
	if err == nil {
		err = a.settle(ctx, log, rep.Trigger, &snapshots)
	}
	if early != nil {
		early.wait()
	}
	if err != nil {
		return nil, err
	}
	workloads, skip := narrow(rep.Trigger, workloads, snapshots.byVPC)
	if skip != "" {
		rep.Trigger.Skip = skip
		log.Info("skipped", "reason", skip)
		return nil, nil
	}
	if early == nil {
		early = a.prepareAll(ctx, workloads, roles, sim)
		early.wait()
	}
	results := make([]*result, 0, len(workloads))
	for _, w := range workloads {
		p := early.of[w]
		snap := snapshots.byVPC[w.Network.VPCID]
		if snap == nil && w.Function != nil {
			// Without a network there are no needs to check (as evaluate).
			p, err = a.prepare(ctx, w, false, roles, sim)
		} else {
			err = p.err
		}
		if err != nil {
			return nil, err
		}
		var r *result
		if checkedOnConfigs(w) {
			r = a.finishConfigs(p, snapshots.byVPC)
		} else {
			r = a.finish(p, snap)
		}
		log.Info("checked workload", "workload", w.ID, "kind", w.Kind, "vpcId", w.Network.VPCID, "status", r.report.Status, "findings", len(r.report.Findings))
		results = append(results, r)
	}
	var applyErr error
	if a.Config.Mode == config.ModeRemediate {
		recordBefore(results)
	}
	if a.Config.Mode == config.ModeRemediate && a.Applier != nil {
		results, applyErr = a.remediateVPCs(ctx, log, rep.Trigger, results)
	} else {
		for _, r := range results {
			for _, c := range r.plan.Changes {
				r.changes = append(r.changes, change(r.target.Workload, c, report.ChangePlanned, c.Reason))
			}
		}
	}
	for _, r := range results {
		rep.Workloads = append(rep.Workloads, r.report)
		rep.Changes = append(rep.Changes, r.changes...)
	}
	// The networks as last read: after remediation, with its changes.
	for _, s := range snapshots.ordered {
		for _, r := range results {
			if r.target.Workload.Network.VPCID == s.VPC.ID {
				s = r.target.Network
				break
			}
		}
		rep.Networks = append(rep.Networks, summarise(s))
	}
	return applyErr, nil
}

// networks are the VPC snapshots of one run.
type networks struct {
	byVPC   map[string]*network.Snapshot
	ordered []*network.Snapshot
}

// readNetworks reads every workload VPC at once (one call per resource
// type for all of them).
func (a *App) readNetworks(ctx context.Context, workloads []*workload.Workload) (networks, error) {
	n := networks{byVPC: map[string]*network.Snapshot{}}
	var vpcs []string
	for _, w := range workloads {
		for _, vpc := range vpcsOf(w) {
			if w.Unresolved == "" && !slices.Contains(vpcs, vpc) {
				vpcs = append(vpcs, vpc)
			}
		}
	}
	snaps, err := a.Topology.ReadAll(ctx, vpcs)
	if err != nil {
		return n, err
	}
	for _, vpc := range vpcs {
		n.byVPC[vpc] = snaps[vpc]
		n.ordered = append(n.ordered, snaps[vpc])
	}
	return n, nil
}

// result is one workload's verdict, plan and changes in this run.
type result struct {
	target  *check.Target
	report  report.Workload
	plan    plan.Plan
	changes []report.Change
	// parts are the verdicts on each VPC configuration of a mapping
	// checked on several (see finishConfigs); nil otherwise.
	parts []*result
}

func change(w *workload.Workload, c plan.Change, status, reason string) report.Change {
	return report.Change{
		Action: c.Action, Target: c.Target, Status: status, Reason: reason,
		Workload: w.ID, Service: c.Service, Command: c.Command, MonthlyCostUSD: c.MonthlyCostUSD,
		IAMActions: c.IAMActions(),
	}
}

// evaluate runs the checks on a workload and its network, and plans the
// fixes when it is broken.
func (a *App) evaluate(ctx context.Context, w *workload.Workload, snap *network.Snapshot, roles *rolepolicy.Reader, sim *simulate.Simulator) (*result, error) {
	p, err := a.prepare(ctx, w, snap != nil, roles, sim)
	if err != nil {
		return nil, err
	}
	return a.finish(p, snap), nil
}

// prepared is a workload's target with what its check reads apart from
// its network: a function's needs, the simulation of its role.
type prepared struct {
	target   *check.Target
	inferred *needs.Needs
	err      error
}

// preparation is the preparation of a run's workloads, running.
type preparation struct {
	of   map[*workload.Workload]*prepared
	done chan struct{}
}

func (p *preparation) wait() { <-p.done }

// prepareAll prepares the workloads a few at a time (CHECK_CONCURRENCY),
// beside what the caller does until it waits. Each keeps its own error:
// the caller reports that of the first workload it checks.
func (a *App) prepareAll(ctx context.Context, workloads []*workload.Workload, roles *rolepolicy.Reader, sim *simulate.Simulator) *preparation {
	p := &preparation{of: make(map[*workload.Workload]*prepared, len(workloads)), done: make(chan struct{})}
	out := make([]*prepared, len(workloads))
	go func() {
		defer close(p.done)
		_ = each(ctx, len(workloads), a.width(), func(ctx context.Context, i int) error {
			w := workloads[i]
			withNeeds := w.Unresolved == "" && w.Network.VPCID != ""
			pr, err := a.prepare(ctx, w, withNeeds, roles, sim)
			if err != nil {
				pr = &prepared{err: err}
			}
			out[i] = pr
			return nil
		})
		for i, w := range workloads {
			p.of[w] = out[i]
		}
	}()
	return p
}

// prepare reads what a workload's check needs apart from its network; a
// function's needs only withNeeds (it has a network to check them in).
// The role is simulated beside the read of a function's needs: what Lambda
// must be allowed to attach it does not depend on them.
func (a *App) prepare(ctx context.Context, w *workload.Workload, withNeeds bool, roles *rolepolicy.Reader, sim *simulate.Simulator) (*prepared, error) {
	t := &check.Target{Workload: w, Region: a.Region, Policy: endpointPolicy(w)}
	p := &prepared{target: t}
	var (
		wg     sync.WaitGroup
		perms  *check.Permissions
		simErr error
	)
	simulateAll := func(needs []check.PermissionNeed) {
		if len(needs) > 0 && sim != nil {
			wg.Go(func() { perms, simErr = sim.Permissions(ctx, w.ExecutionRoleARN, needs) })
		}
	}
	switch {
	case w.IsMapping():
		t.Requirements = check.MappingRequirements(w)
		t.PermissionNeeds = check.MappingPermissionNeeds(w)
		simulateAll(t.PermissionNeeds)
	case w.Function != nil && w.Unresolved == "" && withNeeds:
		simulateAll(check.FunctionPermissionNeeds(w))
		n, err := a.functionNeeds(ctx, roles, t)
		wg.Wait()
		if err != nil {
			return nil, err
		}
		p.inferred = n
		t.Policy, t.PolicyUnverified = functionEndpointPolicy(w, n.Services)
	}
	wg.Wait()
	if simErr != nil {
		return nil, simErr
	}
	t.Permissions = perms
	return p, nil
}

// finish checks a prepared workload on its network, and plans the fixes
// when it is broken.
func (a *App) finish(p *prepared, snap *network.Snapshot) *result {
	t, w := p.target, p.target.Workload
	t.Network = snap
	r := &result{target: t, report: report.Workload{Kind: w.Kind, ID: w.ID, Name: w.Name, VPCID: w.Network.VPCID}}
	r.report.Needs = needsOf(t)
	r.report.Requirements = requirementsOf(t)
	if p.inferred != nil {
		r.report.Ignored, r.report.NeedsGaps = p.inferred.Ignored, p.inferred.Gaps
	}
	r.report.Findings, r.report.Passed = check.Run(t)
	r.report.Status = report.StatusOf(r.report.Findings)
	if r.report.Status == report.StatusBroken {
		r.plan = plan.For(declaredOnly(t), plan.Options{AllowNATCreation: a.Config.AllowNATCreation})
		r.report.Recommendations, r.report.Unfixable = r.plan.Recommendations, r.plan.Unfixable
	}
	return r
}

func summarise(s *network.Snapshot) report.Network {
	n := report.Network{
		VPCID: s.VPC.ID, DNSSupport: s.VPC.DNSSupport, DNSHostnames: s.VPC.DNSHostnames,
		AvailabilityZones: s.AvailabilityZones(), Subnets: len(s.Subnets), RouteTables: len(s.RouteTables),
		SecurityGroups: len(s.SecurityGroups), NetworkACLs: len(s.NetworkACLs),
		PublicSubnets: []string{}, NATGateways: []string{}, InternetGateways: []string{}, Endpoints: []string{},
	}
	for _, sn := range s.Subnets {
		if reach.Public(s, sn.ID) {
			n.PublicSubnets = append(n.PublicSubnets, sn.ID)
		}
	}
	for _, g := range s.NATGateways {
		n.NATGateways = append(n.NATGateways, fmt.Sprintf("%s (%s, %s)", g.ID, g.State, g.SubnetID))
	}
	for _, g := range s.InternetGateways {
		n.InternetGateways = append(n.InternetGateways, g.ID)
	}
	for _, e := range s.Endpoints {
		n.Endpoints = append(n.Endpoints, fmt.Sprintf("%s (%s, %s)", e.ID, e.ServiceName, e.State))
	}
	return n
}
