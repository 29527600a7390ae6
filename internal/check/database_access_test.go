package check

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const dbHost = "orders.c1x2y3.us-east-1.rds.amazonaws.com"

func ordersDB() workload.Database {
	return workload.Database{Kind: "rds", Host: dbHost, Port: 3306, VPCID: "vpc-1", SubnetIDs: []string{"priv-b"},
		SecurityGroupIDs: []string{"sg-db"}, Why: "environment variable DB_HOST names " + dbHost}
}

// dbIngress lets sg-db admit 3306 from a group or a CIDR.
func dbIngress(s *network.Snapshot, r network.Rule) *network.Snapshot {
	for i := range s.SecurityGroups {
		if s.SecurityGroups[i].ID == "sg-db" {
			s.SecurityGroups[i].Ingress = append(s.SecurityGroups[i].Ingress, r)
		}
	}
	return s
}

func TestDatabaseAccess(t *testing.T) {
	fromFn := network.Rule{Protocol: "tcp", FromPort: 3306, ToPort: 3306, GroupID: "sg-fn"}
	tests := []struct {
		name       string
		snapshot   func() *network.Snapshot
		db         func() workload.Database
		wantPassed int
		want       []string
		severity   report.Severity
		unverified bool
	}{{
		name:     "the blog's pair: function group out, database group in from it",
		snapshot: func() *network.Snapshot { return dbIngress(withFunctionGroups(baseVPC()), fromFn) },
		db:       ordersDB, wantPassed: 2,
	}, {
		name: "the database group admits the function's subnets by CIDR",
		snapshot: func() *network.Snapshot {
			return dbIngress(withFunctionGroups(baseVPC()), network.Rule{Protocol: "tcp", FromPort: 3306, ToPort: 3306, CIDR: prefix("10.0.10.0/23")})
		},
		db: ordersDB, wantPassed: 2,
	}, {
		name:     "the database group admits nothing from the function",
		snapshot: func() *network.Snapshot { return withFunctionGroups(baseVPC()) },
		db:       ordersDB,
		want: []string{
			"function api in us-east-1a (subnet priv-a) cannot reach database " + dbHost + " on TCP 3306, needed because environment variable DB_HOST names " + dbHost + ": to subnet priv-b: no ingress rule of sg-db",
			"function api in us-east-1b (subnet priv-b) cannot reach database",
		},
		severity: report.SeverityError,
	}, {
		name: "the function group's egress allows only 443",
		snapshot: func() *network.Snapshot {
			s := dbIngress(withFunctionGroups(baseVPC()), fromFn)
			for i := range s.SecurityGroups {
				if s.SecurityGroups[i].ID == "sg-fn" {
					s.SecurityGroups[i].Egress = []network.Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: prefix("0.0.0.0/0")}}
				}
			}
			return s
		},
		db:       ordersDB,
		want:     []string{"no egress rule of sg-fn allows TCP 3306", "no egress rule of sg-fn allows TCP 3306"},
		severity: report.SeverityError,
	}, {
		name:     "the database could not be read: unknown, not guessed",
		snapshot: func() *network.Snapshot { return withFunctionGroups(baseVPC()) },
		db: func() workload.Database {
			return workload.Database{Kind: "elasticache", Host: "s.abc.0001.use1.cache.amazonaws.com", Why: "environment variable CACHE names it", Unresolved: "vpcmedic does not read ElastiCache clusters"}
		},
		want:       []string{"the path to database s.abc.0001.use1.cache.amazonaws.com, needed because environment variable CACHE names it, cannot be verified: vpcmedic does not read ElastiCache clusters"},
		unverified: true,
	}, {
		name:     "the database is in another VPC",
		snapshot: func() *network.Snapshot { return withFunctionGroups(baseVPC()) },
		db: func() workload.Database {
			d := ordersDB()
			d.VPCID = "vpc-2"
			return d
		},
		want:       []string{"it is in VPC vpc-2 and the function in VPC vpc-1"},
		unverified: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := functionTarget(vpcFunction("priv-a", "priv-b"), tt.snapshot())
			tgt.Databases = []workload.Database{tt.db()}
			f := oneCheck(t, databaseAccess, tgt, tt.wantPassed, tt.want...)
			for _, x := range f {
				if x.Unverified != tt.unverified || !tt.unverified && x.Severity != tt.severity {
					t.Errorf("finding %+v: want unverified %v, severity %s", x, tt.unverified, tt.severity)
				}
				if x.Service != tt.db().Kind {
					t.Errorf("finding service %q, want %q", x.Service, tt.db().Kind)
				}
			}
		})
	}
}
