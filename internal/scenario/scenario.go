// Package scenario seeds VPC, IAM, MSK and Lambda resources for vpcmedic's
// integration tests and demo, in a few readable lines per scenario.
//
// A Scenario keeps the first error it meets (the failing step named in it)
// and turns every later step into a no-op, so a scenario is written as a
// straight sequence of calls with a single check at the end:
//
//	s := scenario.New(cfg)
//	vpc := s.VPC("10.0.0.0/16")
//	priv := vpc.PrivateSubnets("10.0.10.0/24@a", "10.0.11.0/24@b")
//	sg := vpc.SecurityGroup("msk").IngressSelf(9098)
//	cluster := s.MSKCluster("orders", priv, sg, scenario.AuthIAM)
//	fn := s.Function("consumer", s.Role("consumer", scenario.ManagedPolicy("AWSLambdaMSKExecutionRole")))
//	s.KafkaESM(fn, cluster, "orders")
//	if err := s.Err(); err != nil { ... }
//
// It is meant for the local moto emulator, and uses only public API calls so
// that it also works against a real account. Nothing is cleaned up: reset the
// emulator between scenarios.
package scenario

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Scenario builds resources in one account and region. It is not safe for
// concurrent use.
type Scenario struct {
	ctx    context.Context
	region string
	name   string
	tags   map[string]string

	ec2    *ec2.Client
	iam    *iam.Client
	kafka  *kafka.Client
	lambda *lambda.Client
	mq     *mq.Client
	rds    *rds.Client

	err  error
	vpcs int
}

// Option configures a Scenario.
type Option func(*Scenario)

// WithContext sets the context every API call is made with (default
// context.Background()).
func WithContext(ctx context.Context) Option {
	return func(s *Scenario) { s.ctx = ctx }
}

// WithName sets the prefix of the Name tags given to the VPC resources
// (default "vpcmedic-scenario").
func WithName(name string) Option {
	return func(s *Scenario) { s.name = name }
}

// WithTags adds tags to every resource the scenario creates, next to its Name.
func WithTags(tags map[string]string) Option {
	return func(s *Scenario) { maps.Copy(s.tags, tags) }
}

// New returns a Scenario that creates resources through cfg, in cfg.Region.
func New(cfg aws.Config, opts ...Option) *Scenario {
	s := &Scenario{
		ctx:    context.Background(),
		region: cfg.Region,
		name:   "vpcmedic-scenario",
		tags:   map[string]string{},
		ec2:    ec2.NewFromConfig(cfg),
		iam:    iam.NewFromConfig(cfg),
		kafka:  kafka.NewFromConfig(cfg),
		lambda: lambda.NewFromConfig(cfg),
		mq:     mq.NewFromConfig(cfg),
		rds:    rds.NewFromConfig(cfg),
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.region == "" {
		s.err = &StepError{Step: "new scenario", Err: errors.New("aws config has no region")}
	}
	return s
}

// Region is the region resources are created in.
func (s *Scenario) Region() string { return s.region }

// Err returns the first error met, as a *StepError, or nil.
func (s *Scenario) Err() error { return s.err }

// StepError is the first failure of a scenario and the step it happened in.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// do runs one step unless an earlier one failed, and records its error.
func (s *Scenario) do(step string, fn func(ctx context.Context) error) bool {
	if s.err != nil {
		return false
	}
	if err := fn(s.ctx); err != nil {
		s.err = &StepError{Step: step, Err: err}
		return false
	}
	return true
}

// tagsWith returns the scenario tags plus a Name tag, sorted by key so that
// requests are the same from one run to the next.
func (s *Scenario) tagsWith(name string) map[string]string {
	tags := maps.Clone(s.tags)
	tags["Name"] = name
	return tags
}

func ec2Tags(tags map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

func (s *Scenario) tagSpec(resource ec2types.ResourceType, name string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{ResourceType: resource, Tags: ec2Tags(s.tagsWith(name))}}
}

// TagEC2 adds a tag to any EC2 resource (subnet, route table, NAT gateway,
// endpoint, …), e.g. vpcmedic:remediate=false.
func (s *Scenario) TagEC2(id, key, value string) {
	s.do(fmt.Sprintf("tag %s with %s=%s", id, key, value), func(ctx context.Context) error {
		_, err := s.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
			Resources: []string{id},
			Tags:      []ec2types.Tag{{Key: aws.String(key), Value: aws.String(value)}},
		})
		return err
	})
}

// functionZip is a valid deployment package whose content does not matter:
// the functions are never invoked. Its timestamps are fixed so the bytes, and
// so the CodeSha256, are the same on every run.
func functionZip() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{
		Name:     "bootstrap",
		Method:   zip.Deflate,
		Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte("#!/bin/sh\necho scenario function: never invoked\n")); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
