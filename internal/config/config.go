// Package config reads vpcmedic's settings from the environment, the same
// way in Lambda (set by template.yaml) and on a workstation.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Modes.
const (
	ModeAlarm     = "alarm"
	ModeRemediate = "remediate"
)

// Config is vpcmedic's configuration.
type Config struct {
	// Mode is alarm (report and alert only, the default) or remediate.
	Mode string
	// AlertTopicARN is the SNS topic alerts go to; empty disables alerts.
	AlertTopicARN string
	// DeadLetterQueueURL receives events that can never be processed, so
	// that none is lost without a retry storm; empty: they are only logged.
	DeadLetterQueueURL string

	// Remediation scope (remediate mode only).
	// DryRun reports the plan as "would create" and changes nothing.
	DryRun bool
	// AllowedVPCs limits remediation to these VPCs; empty: any VPC not
	// opted out by tag.
	AllowedVPCs []string
	// MaxChanges caps the changes one run makes.
	MaxChanges int
	// AllowNATCreation lets vpcmedic propose (and in remediate mode
	// create) NAT gateways and their Elastic IPs where they cost less than
	// the interface endpoints they replace. Off by default.
	AllowNATCreation bool

	// StateTable is the DynamoDB table of the alert memory; empty: none.
	StateTable string
	// RenotifyAfter is how long an unchanged problem stays quiet.
	RenotifyAfter time.Duration

	// Concurrency is how many workloads one run reads and checks at once
	// (CHECK_CONCURRENCY); 0: DefaultConcurrency.
	Concurrency int

	// SweepShardQueueURL is the SQS queue a sweep of several accounts or
	// Regions fans out over, one message per account and Region
	// (SWEEP_SHARD_QUEUE_URL); empty: one invocation sweeps them all.
	SweepShardQueueURL string
}

// DefaultConcurrency is how many workloads a run checks at once unless
// CHECK_CONCURRENCY says otherwise.
const DefaultConcurrency = 8

// DefaultRenotifyAfter is how often an unchanged problem pages again.
const DefaultRenotifyAfter = 24 * time.Hour

// DefaultMaxChanges is how many changes one run makes at most unless
// MAX_CHANGES says otherwise.
const DefaultMaxChanges = 10

// FromEnv reads MODE, ALERT_TOPIC_ARN, DEAD_LETTER_QUEUE_URL,
// ALERT_STATE_TABLE, RENOTIFY_AFTER, CHECK_CONCURRENCY and SWEEP_SHARD_QUEUE_URL, and for remediation DRY_RUN,
// ALLOWED_VPCS, MAX_CHANGES and ALLOW_NAT_CREATION.
func FromEnv() (Config, error) {
	return parse(os.Getenv)
}

func parse(getenv func(string) string) (Config, error) {
	c := Config{
		Mode:               strings.ToLower(strings.TrimSpace(getenv("MODE"))),
		AlertTopicARN:      strings.TrimSpace(getenv("ALERT_TOPIC_ARN")),
		DeadLetterQueueURL: strings.TrimSpace(getenv("DEAD_LETTER_QUEUE_URL")),
	}
	switch c.Mode {
	case "":
		c.Mode = ModeAlarm
	case ModeAlarm, ModeRemediate:
	default:
		return c, fmt.Errorf("MODE=%q: want %s or %s", getenv("MODE"), ModeAlarm, ModeRemediate)
	}
	if c.AlertTopicARN != "" && !strings.HasPrefix(c.AlertTopicARN, "arn:") {
		return c, fmt.Errorf("ALERT_TOPIC_ARN=%q is not an SNS topic ARN", c.AlertTopicARN)
	}
	for _, flag := range []struct {
		name string
		into *bool
	}{{"DRY_RUN", &c.DryRun}, {"ALLOW_NAT_CREATION", &c.AllowNATCreation}} {
		if v := strings.TrimSpace(getenv(flag.name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("%s=%q: want true or false", flag.name, v)
			}
			*flag.into = b
		}
	}
	for _, id := range strings.Split(getenv("ALLOWED_VPCS"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			if !strings.HasPrefix(id, "vpc-") {
				return c, fmt.Errorf("ALLOWED_VPCS: %q is not a VPC ID", id)
			}
			c.AllowedVPCs = append(c.AllowedVPCs, id)
		}
	}
	c.StateTable = strings.TrimSpace(getenv("ALERT_STATE_TABLE"))
	c.SweepShardQueueURL = strings.TrimSpace(getenv("SWEEP_SHARD_QUEUE_URL"))
	if c.SweepShardQueueURL != "" {
		// https in AWS; an emulator's may be plain http.
		if !strings.HasPrefix(c.SweepShardQueueURL, "https://") && !strings.HasPrefix(c.SweepShardQueueURL, "http://") {
			return c, fmt.Errorf("SWEEP_SHARD_QUEUE_URL=%q is not an SQS queue URL", c.SweepShardQueueURL)
		}
		// The shards and the summary meet in the alert memory.
		if c.StateTable == "" {
			return c, fmt.Errorf("SWEEP_SHARD_QUEUE_URL needs ALERT_STATE_TABLE: the shards of a sweep are counted there")
		}
	}
	c.RenotifyAfter = DefaultRenotifyAfter
	if v := strings.TrimSpace(getenv("RENOTIFY_AFTER")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("RENOTIFY_AFTER=%q: want a duration such as 24h", v)
		}
		c.RenotifyAfter = d
	}
	if v := strings.TrimSpace(getenv("CHECK_CONCURRENCY")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("CHECK_CONCURRENCY=%q: want a whole number, 1 or more", v)
		}
		c.Concurrency = n
	}
	c.MaxChanges = DefaultMaxChanges
	if v := strings.TrimSpace(getenv("MAX_CHANGES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("MAX_CHANGES=%q: want a whole number, 0 or more", v)
		}
		c.MaxChanges = n
	}
	return c, nil
}
