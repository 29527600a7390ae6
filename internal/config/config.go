// Package config reads vpcmedic's settings from the environment, the same
// way in Lambda (set by template.yaml) and on a workstation.
package config

import (
	"fmt"
	"os"
	"strings"
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
}

// FromEnv reads MODE, ALERT_TOPIC_ARN and DEAD_LETTER_QUEUE_URL.
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
	return c, nil
}
