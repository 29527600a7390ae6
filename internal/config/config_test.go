package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"alarm is the default", map[string]string{}, Config{Mode: ModeAlarm, MaxChanges: DefaultMaxChanges, RenotifyAfter: DefaultRenotifyAfter}, ""},
		{"remediate in any case", map[string]string{"MODE": " Remediate "}, Config{Mode: ModeRemediate, MaxChanges: DefaultMaxChanges, RenotifyAfter: DefaultRenotifyAfter}, ""},
		{"remediation scope", map[string]string{"MODE": "remediate", "DRY_RUN": "true", "ALLOWED_VPCS": "vpc-1, vpc-2", "MAX_CHANGES": "3"},
			Config{Mode: ModeRemediate, DryRun: true, AllowedVPCs: []string{"vpc-1", "vpc-2"}, MaxChanges: 3, RenotifyAfter: DefaultRenotifyAfter}, ""},
		{"alert memory", map[string]string{"ALERT_STATE_TABLE": "vpcmedic-state", "RENOTIFY_AFTER": "6h"},
			Config{Mode: ModeAlarm, MaxChanges: DefaultMaxChanges, StateTable: "vpcmedic-state", RenotifyAfter: 6 * time.Hour}, ""},
		{"re-notify interval not a duration", map[string]string{"RENOTIFY_AFTER": "daily"}, Config{}, "RENOTIFY_AFTER"},
		{"NAT gateways allowed", map[string]string{"ALLOW_NAT_CREATION": "true"},
			Config{Mode: ModeAlarm, AllowNATCreation: true, MaxChanges: DefaultMaxChanges, RenotifyAfter: DefaultRenotifyAfter}, ""},
		{"NAT permission not a boolean", map[string]string{"ALLOW_NAT_CREATION": "yes"}, Config{}, `ALLOW_NAT_CREATION="yes"`},
		{"dry run not a boolean", map[string]string{"DRY_RUN": "maybe"}, Config{}, `DRY_RUN="maybe"`},
		{"allow-list with a subnet", map[string]string{"ALLOWED_VPCS": "subnet-1"}, Config{}, "not a VPC ID"},
		{"negative change limit", map[string]string{"MAX_CHANGES": "-1"}, Config{}, "MAX_CHANGES"},
		{"topic and queue", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:alerts", "DEAD_LETTER_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq"},
			Config{Mode: ModeAlarm, AlertTopicARN: "arn:aws:sns:eu-west-1:123456789012:alerts", DeadLetterQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq", MaxChanges: DefaultMaxChanges, RenotifyAfter: DefaultRenotifyAfter}, ""},
		{"check concurrency", map[string]string{"CHECK_CONCURRENCY": "32"},
			Config{Mode: ModeAlarm, MaxChanges: DefaultMaxChanges, RenotifyAfter: DefaultRenotifyAfter, Concurrency: 32}, ""},
		{"no concurrency at all", map[string]string{"CHECK_CONCURRENCY": "0"}, Config{}, "CHECK_CONCURRENCY"},
		{"sweep fan-out", map[string]string{"SWEEP_SHARD_QUEUE_URL": " https://sqs.eu-west-1.amazonaws.com/123456789012/shards ", "ALERT_STATE_TABLE": "vpcmedic-state"},
			Config{Mode: ModeAlarm, MaxChanges: DefaultMaxChanges, RenotifyAfter: DefaultRenotifyAfter, StateTable: "vpcmedic-state", SweepShardQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/shards"}, ""},
		{"fan-out without a memory", map[string]string{"SWEEP_SHARD_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/shards"}, Config{}, "needs ALERT_STATE_TABLE"},
		{"queue name instead of URL", map[string]string{"SWEEP_SHARD_QUEUE_URL": "shards", "ALERT_STATE_TABLE": "t"}, Config{}, "not an SQS queue URL"},
		{"unknown mode", map[string]string{"MODE": "fix"}, Config{}, `MODE="fix"`},
		{"topic name instead of ARN", map[string]string{"ALERT_TOPIC_ARN": "alerts"}, Config{}, "not an SNS topic ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
