package alertstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB is the part of the DynamoDB API the table calls.
type DynamoDB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	// UpdateItem counts the finished shards of a fanned-out sweep.
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Table is the memory: one item per handled event (kept two days) and one
// per open problem (kept while open, and a month at most).
//
// Keys across accounts: event claims are keyed by CloudTrail's event ID
// (unique per event, so one event forwarded twice is handled once),
// problems and page holds by workload ID (a mapping's UUID, or a function's
// ARN, which names its account and Region); only VPC leases need the
// account, see Account.
type Table struct {
	DynamoDB DynamoDB
	Name     string
	// Account is the member account whose VPCs this table's leases name,
	// when vpcmedic watches an organisation from a hub; empty for the
	// account vpcmedic runs in.
	Account string
}

// ForAccount returns the table as the runs in a member account use it.
func (t *Table) ForAccount(account string) *Table {
	if t == nil {
		return nil
	}
	return &Table{DynamoDB: t.DynamoDB, Name: t.Name, Account: account}
}

// Item lifetimes, enforced by the table's TTL on expiresAt.
const (
	eventTTL   = 48 * time.Hour
	problemTTL = 30 * 24 * time.Hour
)

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
}

// Problem returns the open problem of a workload, or nil.
func (t *Table) Problem(ctx context.Context, workloadID string) (*Problem, error) {
	out, err := t.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key("problem#" + workloadID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the problem of %s from %s: %w", workloadID, t.Name, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	p := &Problem{WorkloadID: workloadID}
	if v, ok := out.Item["fingerprint"].(*types.AttributeValueMemberS); ok {
		p.Fingerprint = v.Value
	}
	p.version = intAttr(out.Item["version"])
	p.FirstSeen = unixAttr(out.Item["firstSeen"])
	p.LastNotified = unixAttr(out.Item["lastNotified"])
	return p, nil
}

func unixAttr(v types.AttributeValue) time.Time {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}
	}
	s, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// Remember stores a workload's problem, or forgets it when p is nil, if
// the stored one is still known (nil: none); otherwise another run wrote it
// first and Remember returns ErrConflict.
func (t *Table) Remember(ctx context.Context, workloadID string, p, known *Problem, now time.Time) error {
	var version int64
	if known != nil {
		version = known.version
	}
	if p == nil {
		in := &dynamodb.DeleteItemInput{
			TableName: aws.String(t.Name), Key: key("problem#" + workloadID),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}
		if known != nil {
			in.ConditionExpression, in.ExpressionAttributeValues = isVersion(version)
		}
		_, err := t.DynamoDB.DeleteItem(ctx, in)
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) && len(failed.Item) == 0 {
			// Gone already: this delete's own first attempt, retried
			// after its answer was lost, or another run forgetting it too.
			return nil
		}
		if err := conflict(err); err != nil {
			return fmt.Errorf("forget the problem of %s in %s: %w", workloadID, t.Name, err)
		}
		return nil
	}
	item := key("problem#" + workloadID)
	item["fingerprint"] = &types.AttributeValueMemberS{Value: p.Fingerprint}
	item["firstSeen"] = unixValue(p.FirstSeen)
	item["lastNotified"] = unixValue(p.LastNotified)
	item["version"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(version+1, 10)}
	item["expiresAt"] = unixValue(now.Add(problemTTL))
	if err := t.putIf(ctx, item, version, known != nil); err != nil {
		return fmt.Errorf("remember the problem of %s in %s: %w", workloadID, t.Name, err)
	}
	p.version = version + 1
	return nil
}
