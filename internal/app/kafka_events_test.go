package app_test

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// The managed VPC connection of the samples: the seeded payments mapping
// reads from it.
const samplePaymentsConnection = "arn:aws:kafka:us-east-1:123456789012:vpc-connection/210987654321/payments/c83f1d2e-7a6b-4e05-9d14-b2a8e6f03c71-3"

func TestMSKClusterChangeResolvesTheMappingsOfThatCluster(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	for _, name := range []string{"UpdateSecurity-iam-auth.json", "UpdateConnectivity-multi-vpc.json"} {
		t.Run(name, func(t *testing.T) {
			rep := handle(t, d, sample(t, "on-lambda-change/"+name, sampleOrdersCluster, f.Orders.Cluster.ARN))

			if k := rep.Trigger.Kafka; rep.Trigger.Source != trail.SourceKafka || k == nil || k.ClusterARN != f.Orders.Cluster.ARN {
				t.Errorf("trigger %s, kafka %+v, want a change of %s", rep.Trigger.Source, k, f.Orders.Cluster.ARN)
			}
			// Not the SQS mapping of the same function, nor the mappings
			// of other sources.
			wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
		})
	}
}

func TestMSKClusterChangeWithoutMappingsIsSkipped(t *testing.T) {
	srv, _ := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	other := "arn:aws:kafka:us-east-1:123456789012:cluster/audit/1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d-2"
	rep := handle(t, d, sample(t, "on-lambda-change/UpdateSecurity-iam-auth.json", sampleOrdersCluster, other))

	wantSkipped(t, rep, "no event source mapping of this account reads from "+other)
}

func TestVPCConnectionDeletedResolvesTheMappingsOnIt(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/DeleteVpcConnection-cross-account.json"))

	// The cluster's network is another account's: the mapping is checked,
	// and reported as unverifiable, not skipped.
	wantWorkloads(t, rep, esm(f.Payments, ""))
	if w := rep.Workloads[0]; w.Status != report.StatusUnknown {
		t.Errorf("status %s, want %s for a mapping behind a VPC connection", w.Status, report.StatusUnknown)
	}
	if f.PaymentsSource != samplePaymentsConnection {
		t.Fatalf("the fixture's connection %s is not the sample's", f.PaymentsSource)
	}
}

func TestClientVPCConnectionRejectedByTheClustersAccountIsSkipped(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/RejectClientVpcConnection-client-account.json", sampleOrdersCluster, f.Orders.Cluster.ARN))

	wantSkipped(t, rep, "belong to the client account")
	if !strings.Contains(rep.Trigger.Skip, ":210987654321:vpc-connection/") {
		t.Errorf("skip %q does not name the rejected connection", rep.Trigger.Skip)
	}
}

func TestMSKChangeIsNotForOnNetworkChange(t *testing.T) {
	srv, _ := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	_, err := d.App.Handle(t.Context(), sample(t, "on-lambda-change/UpdateSecurity-iam-auth.json"))
	if !app.IsTerminal(err) || !strings.Contains(err.Error(), "handles aws.ec2 events, not aws.kafka UpdateSecurity") {
		t.Errorf("err = %v, want a terminal error naming the source", err)
	}
}
