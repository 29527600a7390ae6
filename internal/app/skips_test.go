package app_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
)

func TestFailedCallIsSkipped(t *testing.T) {
	srv, _ := seededAccount(t)

	tests := []struct {
		name, function, sample, want string
	}{
		{"mapping create denied", app.OnLambdaChange, "unmatched/CreateEventSourceMapping-access-denied.json", "failed with AccessDenied"},
		{"NAT gateway delete of an unknown gateway", app.OnNetworkChange, "unmatched/DeleteNatGateway-not-found.json", "failed with Client.NatGatewayNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := build(t, srv, tt.function)
			rep := handle(t, d, sample(t, tt.sample))
			wantSkipped(t, rep, tt.want)
		})
	}
}

// ordersCreated is the creation event of the seeded MSK mapping, which
// resolves a workload unless something skips it.
func ordersCreated(t *testing.T, f *accountFixture) []byte {
	t.Helper()
	return sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		sampleOrdersUUID, f.Orders.ESM.UUID, sampleOrdersCluster, f.Orders.Cluster.ARN)
}

func TestChangeMadeByTheCallersOwnIdentityIsSkipped(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	// moto answers GetCallerIdentity for its default credentials with
	// arn:aws:sts::123456789012:user/moto; a change made with that very ARN
	// is vpcmedic's own, whatever form the ARN has.
	id, err := d.STS.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	self := aws.ToString(id.Arn)
	rep := handle(t, d, withIdentity(t, ordersCreated(t, f), map[string]any{
		"type": "IAMUser", "arn": self, "accountId": emulator.Account, "userName": "moto",
	}))
	wantSkipped(t, rep, "own change")
}

func TestChangeMadeByAnotherSessionOfTheFunctionsRoleIsSkipped(t *testing.T) {
	srv, f := seededAccount(t)
	useEmulatorEnv(t, srv)

	// In Lambda, vpcmedic runs as an assumed role; its changes are made by
	// whichever session of that role an invocation had.
	cfg := srv.MustConfig(t)
	roleARN, roleName := f.VPCMedicRole.ARN, f.VPCMedicRole.Name
	session, err := sts.NewFromConfig(cfg).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("invocation-2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", aws.ToString(session.Credentials.AccessKeyId))
	t.Setenv("AWS_SECRET_ACCESS_KEY", aws.ToString(session.Credentials.SecretAccessKey))
	t.Setenv("AWS_SESSION_TOKEN", aws.ToString(session.Credentials.SessionToken))

	assumedRole := func(role, session string) map[string]any {
		return map[string]any{
			"type":      "AssumedRole",
			"arn":       "arn:aws:sts::" + emulator.Account + ":assumed-role/" + role + "/" + session,
			"accountId": emulator.Account,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"type": "Role", "arn": "arn:aws:iam::" + emulator.Account + ":role/" + role, "userName": role,
			}},
		}
	}
	t.Run("another session of the same role", func(t *testing.T) {
		d := buildFromEnv(t, app.OnLambdaChange)
		rep := handle(t, d, withIdentity(t, ordersCreated(t, f), assumedRole(roleName, "invocation-1")))
		wantSkipped(t, rep, "own change")
		if rep.Trigger.Actor == nil || rep.Trigger.Actor.RoleARN != roleARN {
			t.Errorf("actor %+v, want role %s", rep.Trigger.Actor, roleARN)
		}
	})
	t.Run("a session of another role", func(t *testing.T) {
		d := buildFromEnv(t, app.OnLambdaChange)
		rep := handle(t, d, withIdentity(t, ordersCreated(t, f), assumedRole("PlatformEngineer", "invocation-1")))
		wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
	})
}
