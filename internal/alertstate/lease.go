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

// Lease is one run's hold on a VPC while it changes it, so that two runs
// never change one VPC at once.
type Lease struct {
	VPCID string
	Owner string
	Until time.Time
}

// Lease takes the VPC for owner until the given time. It returns the other
// run's lease, and held=true, when that run has the VPC now; a lease past
// its time (the run died) is taken over.
func (t *Table) Lease(ctx context.Context, vpcID, owner string, now, until time.Time) (other *Lease, held bool, err error) {
	item := key("lease#" + vpcID)
	item["owner"] = &types.AttributeValueMemberS{Value: owner}
	item["leaseUntil"] = unixValue(until)
	item["expiresAt"] = unixValue(until.Add(eventTTL))
	_, err = t.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #owner = :owner OR leaseUntil < :now"),
		ExpressionAttributeNames: map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: owner}, ":now": unixValue(now),
		},
	})
	if err = conflict(err); !errors.Is(err, ErrConflict) {
		if err != nil {
			return nil, false, fmt.Errorf("lease %s in %s: %w", vpcID, t.Name, err)
		}
		return nil, false, nil
	}
	out, err := t.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key("lease#" + vpcID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, false, fmt.Errorf("read the lease of %s from %s: %w", vpcID, t.Name, err)
	}
	return &Lease{VPCID: vpcID, Owner: stringAttr(out.Item["owner"]), Until: unixAttr(out.Item["leaseUntil"])}, true, nil
}

// Release gives the VPC back, if owner still holds it.
func (t *Table) Release(ctx context.Context, vpcID, owner string) error {
	_, err := t.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(t.Name), Key: key("lease#" + vpcID),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("release the lease of %s in %s: %w", vpcID, t.Name, err)
	}
	return nil
}
