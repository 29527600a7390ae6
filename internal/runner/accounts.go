package runner

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/orgs"
	"github.com/vpcmedic/vpcmedic/internal/rolepolicy"
	"github.com/vpcmedic/vpcmedic/internal/simulate"
	"github.com/vpcmedic/vpcmedic/internal/topology"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Organization is how the hub reaches the accounts it watches (set by the
// template; all empty: one account).
type Organization struct {
	// ID is the organisation's ID (ORGANIZATION_ID); set, member accounts'
	// events are checked with the member role.
	ID string
	// RoleName is the member role in each account (MEMBER_ROLE_NAME,
	// default vpcmedic-member), ExternalID the external ID its trust
	// policy requires (MEMBER_EXTERNAL_ID, optional).
	RoleName   string
	ExternalID string
	// Accounts are the accounts the sweep walks besides the hub's own
	// (MEMBER_ACCOUNTS, comma-separated): "organization" lists the
	// organisation's active accounts.
	Accounts []string
	// Regions are the Regions swept in each account (MEMBER_REGIONS,
	// default the hub's Region).
	Regions []string
}

// DefaultMemberRole is the member role's name unless MEMBER_ROLE_NAME says
// otherwise.
const DefaultMemberRole = "vpcmedic-member"

// AllAccounts as MEMBER_ACCOUNTS sweeps every active account of the
// organisation.
const AllAccounts = "organization"

// OrganizationFromEnv reads the hub's settings.
func OrganizationFromEnv() Organization {
	o := Organization{
		ID:         strings.TrimSpace(os.Getenv("ORGANIZATION_ID")),
		RoleName:   strings.TrimSpace(os.Getenv("MEMBER_ROLE_NAME")),
		ExternalID: strings.TrimSpace(os.Getenv("MEMBER_EXTERNAL_ID")),
		Accounts:   list(os.Getenv("MEMBER_ACCOUNTS")),
		Regions:    list(os.Getenv("MEMBER_REGIONS")),
	}
	if o.RoleName == "" {
		o.RoleName = DefaultMemberRole
	}
	return o
}

// Enabled reports whether the hub watches accounts besides its own.
func (o Organization) Enabled() bool { return o.ID != "" || len(o.Accounts) > 0 }

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// accountClients are the clients acting with awsCfg's credentials and in its
// Region.
func accountClients(cfg config.Config, awsCfg aws.Config) *app.Clients {
	ec2Client := ec2.NewFromConfig(awsCfg)
	lambdaClient := awslambda.NewFromConfig(awsCfg)
	stsClient := sts.NewFromConfig(awsCfg)
	iamClient := iam.NewFromConfig(awsCfg)
	return &app.Clients{
		Inventory: &inventory.Reader{
			Lambda: lambdaClient, Kafka: kafka.NewFromConfig(awsCfg), EC2: ec2Client, RDS: rds.NewFromConfig(awsCfg), MQ: mq.NewFromConfig(awsCfg),
			Tagging: resourcegroupstaggingapi.NewFromConfig(awsCfg),
		},
		Lister:    lambdaClient,
		Topology:  &topology.Reader{EC2: ec2Client},
		Simulator: &simulate.Simulator{IAM: iamClient},
		Roles:     &rolepolicy.Reader{IAM: iamClient},
		Applier:   applier(cfg, ec2Client),
		CallerARN: func(ctx context.Context) (string, error) {
			out, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Arn), nil
		},
	}
}

// organize lets the hub's App reach member accounts, when an organisation
// is configured; otherwise the App stays as it is, in one account.
func organize(a *app.App, function string, cfg config.Config, awsCfg aws.Config, hubSTS *sts.Client, o Organization) {
	if !o.Enabled() {
		return
	}
	a.Connect = func(ctx context.Context, t app.Target) (*app.Clients, error) {
		return connect(function, cfg, awsCfg, hubSTS, o, t, a.Account)
	}
	var names *orgs.Client
	if o.ID != "" {
		names = orgs.New(awsCfg, trail.PartitionOf(awsCfg.Region))
		a.Names = names
	}
	regions := o.Regions
	a.SweepTargets = func(ctx context.Context) ([]app.Target, error) {
		own, err := a.For(ctx, "", "")
		if err != nil {
			return nil, err
		}
		accounts := []string{own.Account}
		if slices.Contains(o.Accounts, AllAccounts) {
			if names == nil {
				return nil, fmt.Errorf("MEMBER_ACCOUNTS=%s needs ORGANIZATION_ID", AllAccounts)
			}
			all, err := names.ListAccounts(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the organisation's accounts: %w", err)
			}
			names.Remember(all)
			for _, acct := range all {
				if acct.Status == "ACTIVE" && !slices.Contains(accounts, acct.ID) {
					accounts = append(accounts, acct.ID)
				}
			}
		}
		for _, acct := range o.Accounts {
			if acct != AllAccounts && !slices.Contains(accounts, acct) {
				accounts = append(accounts, acct)
			}
		}
		rs := regions
		if len(rs) == 0 {
			rs = []string{a.Region}
		}
		var targets []app.Target
		for _, acct := range accounts {
			for _, r := range rs {
				targets = append(targets, app.Target{Account: acct, Region: r})
			}
		}
		return targets, nil
	}
}

// connect builds the clients of a target: in the hub's own account its own
// credentials in the target's Region; in another account the member role's,
// assumed with the hub's credentials and cached until shortly before they
// expire (aws.CredentialsCache), for as long as the container is warm.
func connect(function string, cfg config.Config, hubCfg aws.Config, hubSTS *sts.Client, o Organization, t app.Target, own string) (*app.Clients, error) {
	member := hubCfg.Copy()
	member.Region = t.Region
	var roleARN string
	if t.Account != own {
		partition := t.Partition
		if partition == "" {
			partition = "aws"
		}
		roleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, t.Account, o.RoleName)
		member.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(hubSTS, roleARN, func(p *stscreds.AssumeRoleOptions) {
			// CloudTrail in the member account names the function.
			p.RoleSessionName = "vpcmedic-" + function
			if o.ExternalID != "" {
				p.ExternalID = aws.String(o.ExternalID)
			}
		}))
	}
	c := accountClients(cfg, member)
	if roleARN != "" {
		c.OwnRoleARNs = []string{roleARN}
	}
	return c, nil
}
