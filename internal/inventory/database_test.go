package inventory

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/needs"
)

// Databases vpcmedic cannot read stay unresolved, with the reason, and
// cost no call.
func TestDatabaseThatCannotBeReadIsUnresolved(t *testing.T) {
	tests := []struct {
		name   string
		reader *Reader
		db     needs.Database
		want   string
	}{
		{"ElastiCache", &Reader{}, needs.Database{Kind: needs.ElastiCache, Host: "s.abc.0001.use1.cache.amazonaws.com"}, "does not read ElastiCache"},
		{"RDS not read in this run", &Reader{}, needs.Database{Kind: needs.RDS, Host: "orders.abc.us-east-1.rds.amazonaws.com"}, "not read in this run"},
		{"an RDS Proxy", &Reader{RDS: noRDS{}}, needs.Database{Kind: needs.RDS, Host: "orders.proxy-abc.us-east-1.rds.amazonaws.com"}, "RDS Proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.reader.Database(t.Context(), tt.db)
			if err != nil || !strings.Contains(got.Unresolved, tt.want) || got.Host != tt.db.Host {
				t.Errorf("Database() = %+v, %v; want unresolved saying %q", got, err, tt.want)
			}
		})
	}
}

// noRDS fails any call: the cases above must not make one.
type noRDS struct{ RDS }
