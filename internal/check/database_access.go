package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

var databaseAccess = Check{
	ID:          "VM109",
	Name:        "database-access",
	Title:       "The function cannot reach its database on the database port",
	Impact:      "Connections to the database time out: the function fails on every call that needs it.",
	Remediation: "Allow the database port out of the function's security group to the database's group, and into the database's group from the function's group (vpcmedic does not change database groups).",
	Severity:    report.SeverityError,
	Applies:     func(t *Target) bool { return isFunction(t) && resolved(t) && len(t.Databases) > 0 },
	Run: func(t *Target) []Result {
		var out []Result
		for _, db := range t.Databases {
			out = append(out, databaseResults(t, db)...)
		}
		return out
	},
}

// DatabaseName names a database endpoint and its port in messages.
func DatabaseName(db workload.Database) string {
	if db.Port == 0 {
		return db.Host
	}
	return fmt.Sprintf("%s:%d", db.Host, db.Port)
}

// databaseResults checks, from each function subnet, the flow on the
// database port to every subnet the database may be in (the security group
// pair of seed 002 and both subnets' network ACLs).
func databaseResults(t *Target, db workload.Database) []Result {
	unverified := func(why string) []Result {
		return []Result{{
			Unverified: true,
			Message:    fmt.Sprintf("%s: the path to database %s, needed because %s, cannot be verified: %s", t.Describe(), DatabaseName(db), db.Why, why),
			Service:    db.Kind,
			Resources:  []string{db.Host},
		}}
	}
	var dbSubnets []string
	for _, id := range db.SubnetIDs {
		if _, ok := t.Network.Subnet(id); ok {
			dbSubnets = append(dbSubnets, id)
		}
	}
	switch {
	case db.Unresolved != "":
		return unverified(db.Unresolved)
	case db.VPCID != "" && db.VPCID != t.Network.VPC.ID:
		return unverified(fmt.Sprintf("it is in VPC %s and the function in VPC %s; paths between VPCs (peering, transit gateway) are not checked", db.VPCID, t.Network.VPC.ID))
	case db.Port == 0:
		return unverified("its port is not known")
	case len(db.SecurityGroupIDs) == 0:
		return unverified("its security groups are not known")
	case len(dbSubnets) == 0:
		return unverified(fmt.Sprintf("none of its subnets (%s) is in VPC %s", strings.Join(db.SubnetIDs, ", "), t.Network.VPC.ID))
	}
	groups := t.Workload.Network.SecurityGroupIDs
	var out []Result
	for _, sn := range t.Subnets() {
		var problems, partial, evidence []string
		for _, to := range dbSubnets {
			v := reach.Flow(t.Network, reach.Place{SubnetID: sn.ID, GroupIDs: groups}, reach.Place{SubnetID: to, GroupIDs: db.SecurityGroupIDs}, db.Port)
			evidence = append(evidence, v.Evidence...)
			switch {
			case !v.Allowed:
				problems = append(problems, fmt.Sprintf("to subnet %s: %s", to, v.Reason))
			case v.Partial:
				partial = append(partial, fmt.Sprintf("to subnet %s: %s", to, v.Reason))
			}
		}
		resources := slices.Concat([]string{sn.ID, db.Host}, groups, db.SecurityGroupIDs, evidence)
		switch {
		case len(problems) > 0:
			out = append(out, Result{
				Message:   fmt.Sprintf("%s in %s (subnet %s) cannot reach database %s on TCP %d, needed because %s: %s", t.Describe(), sn.AvailabilityZone, sn.ID, db.Host, db.Port, db.Why, strings.Join(problems, "; ")),
				AZ:        sn.AvailabilityZone,
				Service:   db.Kind,
				Resources: resources,
			})
		case len(partial) > 0:
			out = append(out, Result{
				Severity:  report.SeverityWarning,
				Message:   fmt.Sprintf("%s in %s (subnet %s) reaches database %s on TCP %d only in part: %s", t.Describe(), sn.AvailabilityZone, sn.ID, db.Host, db.Port, strings.Join(partial, "; ")),
				AZ:        sn.AvailabilityZone,
				Service:   db.Kind,
				Resources: resources,
			})
		default:
			out = append(out, Result{Pass: true})
		}
	}
	return out
}
