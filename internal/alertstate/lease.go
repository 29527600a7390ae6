package alertstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Lease is one run's hold on something only one run may do at a time:
// changing a VPC, or paging one workload's problem.
type Lease struct {
	// Name is what is held: a VPC ID, or a workload ID for a page.
	Name  string
	Owner string
	Until time.Time
}

// What a lease holds, as the prefix of its item's key.
const (
	vpcLease  = "lease#"
	pageLease = "page#"
)

// Lease takes the VPC for owner until the given time. It returns the other
// run's lease, and held=true, when that run has the VPC now; a lease past
// its time (the run died) is taken over.
func (t *Table) Lease(ctx context.Context, vpcID, owner string, now, until time.Time) (other *Lease, held bool, err error) {
	return t.take(ctx, t.vpcPrefix(), vpcID, owner, now, until)
}

// vpcPrefix keys the leases of another account's VPCs by that account: AWS
// documents resource IDs as unique within an account, not across accounts.
// The hub's own account keeps the keys it always had.
func (t *Table) vpcPrefix() string {
	if t.Account == "" {
		return vpcLease
	}
	return vpcLease + t.Account + "#"
}

// Release gives the VPC back, if owner still holds it.
func (t *Table) Release(ctx context.Context, vpcID, owner string) error {
	return t.give(ctx, t.vpcPrefix(), vpcID, owner)
}

// HoldPage takes the right to page a workload's problem: of two runs that
// find the same new problem at once, the one holding the page tells
// on-call and remembers it; the other waits and then sees it remembered.
// It returns the other run's hold, and held=true, when that run has it.
func (t *Table) HoldPage(ctx context.Context, workloadID, owner string, now, until time.Time) (other *Lease, held bool, err error) {
	return t.take(ctx, pageLease, workloadID, owner, now, until)
}

// ReleasePage gives the page back, if owner still holds it.
func (t *Table) ReleasePage(ctx context.Context, workloadID, owner string) error {
	return t.give(ctx, pageLease, workloadID, owner)
}

func (t *Table) take(ctx context.Context, prefix, name, owner string, now, until time.Time) (*Lease, bool, error) {
	item := key(prefix + name)
	item["owner"] = &types.AttributeValueMemberS{Value: owner}
	item["leaseUntil"] = unixValue(until)
	item["expiresAt"] = unixValue(until.Add(eventTTL))
	_, err := t.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #owner = :owner OR leaseUntil < :now"),
		ExpressionAttributeNames: map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: owner}, ":now": unixValue(now),
		},
	})
	if err = conflict(err); !errors.Is(err, ErrConflict) {
		if err != nil {
			return nil, false, fmt.Errorf("take %s%s in %s: %w", prefix, name, t.Name, err)
		}
		return nil, false, nil
	}
	out, err := t.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key(prefix + name), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, false, fmt.Errorf("read %s%s from %s: %w", prefix, name, t.Name, err)
	}
	if len(out.Item) == 0 {
		// Given back between the write and the read: try again.
		return t.take(ctx, prefix, name, owner, now, until)
	}
	return &Lease{Name: name, Owner: stringAttr(out.Item["owner"]), Until: unixAttr(out.Item["leaseUntil"])}, true, nil
}

func (t *Table) give(ctx context.Context, prefix, name, owner string) error {
	_, err := t.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(t.Name), Key: key(prefix + name),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("give back %s%s in %s: %w", prefix, name, t.Name, err)
	}
	return nil
}
