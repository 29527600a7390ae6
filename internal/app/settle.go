package app

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// EC2 is eventually consistent: a Describe right after a change can still
// show the old state. When the snapshot contradicts what the event says
// happened, the networks are read again, a bounded number of times.
const (
	settleAttempts = 3
	settleDelay    = 2 * time.Second
)

// settle re-reads the networks until they show the trigger's change, or
// gives up and goes on with what it has (the sweep catches up later).
func (a *App) settle(ctx context.Context, log *slog.Logger, t trail.Trigger, n *networks) error {
	for attempt := 1; attempt < settleAttempts && !shows(t, n.byVPC); attempt++ {
		log.Info("network does not show the change yet, reading again", "attempt", attempt+1)
		if err := a.sleep(ctx, settleDelay); err != nil {
			return err
		}
		fresh, err := a.Topology.ReadAll(ctx, keys(n.byVPC))
		if err != nil {
			return err
		}
		for i, s := range n.ordered {
			n.ordered[i] = fresh[s.VPC.ID]
			n.byVPC[s.VPC.ID] = fresh[s.VPC.ID]
		}
	}
	return nil
}

func keys(m map[string]*network.Snapshot) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (a *App) sleep(ctx context.Context, d time.Duration) error {
	if a.Sleep != nil {
		return a.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// shows reports whether the snapshots agree with what the event says
// changed. Events it cannot judge are taken as shown.
func shows(t trail.Trigger, snaps map[string]*network.Snapshot) bool {
	if t.Source != trail.SourceEC2 || t.Skip != "" {
		return true
	}
	switch t.Action {
	case "DeleteNatGateway":
		for _, s := range snaps {
			for _, nat := range s.NATGateways {
				if slices.Contains(t.IDs(trail.KindNATGateway), nat.ID) && (nat.State == "available" || nat.State == "pending") {
					return false
				}
			}
		}
	case "DeleteVpcEndpoints":
		for _, s := range snaps {
			for _, e := range s.Endpoints {
				if slices.Contains(t.IDs(trail.KindVPCEndpoint), e.ID) && (e.State == "available" || e.State == "pending") {
					return false
				}
			}
		}
	case "CreateRoute", "ReplaceRoute", "DeleteRoute":
		if t.Route == nil {
			return true
		}
		dest, err := netip.ParsePrefix(t.Route.Destination)
		if err != nil {
			return true
		}
		for _, s := range snaps {
			for _, rt := range s.RouteTables {
				if rt.ID != t.Route.RouteTableID {
					continue
				}
				i := slices.IndexFunc(rt.Routes, func(r network.Route) bool { return r.Destination == dest })
				if t.Action == "DeleteRoute" {
					return i < 0
				}
				// A target the reader cannot name (an Oracle Database@AWS
				// network) cannot be compared.
				return i >= 0 && (rt.Routes[i].TargetID == t.Route.TargetID || rt.Routes[i].TargetID == "")
			}
		}
	case "ModifyVpcAttribute":
		if s, ok := snaps[t.VPCID]; ok && t.VPCAttribute != nil {
			switch t.VPCAttribute.Name {
			case "enableDnsSupport":
				return s.VPC.DNSSupport == t.VPCAttribute.Value
			case "enableDnsHostnames":
				return s.VPC.DNSHostnames == t.VPCAttribute.Value
			}
		}
	}
	return true
}
