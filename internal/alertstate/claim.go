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

// ErrConflict is returned when another run changed an item first.
var ErrConflict = errors.New("changed by another run")

// Event claim states.
const (
	ClaimInProgress = "in-progress" // a run is handling the event
	ClaimFailed     = "failed"      // the run failed: a retry takes it over
	ClaimDone       = "done"        // handled to the end
)

// Claim is the record of the run handling an event. It carries what a
// retry must know: whether an alert already went out for the event and
// whether the memory of it was written.
type Claim struct {
	EventID string
	// Owner is the run (the Lambda request ID, which Lambda keeps across
	// the retries of one invocation).
	Owner  string
	Status string
	// Until is when an in-progress claim of a run that died lapses.
	Until time.Time
	// MessageID is the SNS message published for the event, if any, and
	// Remembered says the open problems were written after it.
	MessageID  string
	Remembered bool
	Outcome    string
	version    int64
}

// Held reports whether the claim stops another run from handling the event.
func (c *Claim) Held(owner string, now time.Time) bool {
	switch {
	case c.Status == ClaimDone, c.Status == "":
		// Without a status: recorded, before claims, after a full run.
		return true
	case c.Status == ClaimFailed, c.Owner == owner:
		return false
	}
	return now.Before(c.Until)
}

// ClaimEvent takes an event for owner until the given time. It returns the
// claim, which keeps what an earlier try of the event recorded, and
// held=true with the other run's claim when another run has it.
func (t *Table) ClaimEvent(ctx context.Context, eventID, owner string, now, until time.Time) (c *Claim, held bool, err error) {
	prior, err := t.readClaim(ctx, eventID)
	if err != nil {
		return nil, false, err
	}
	if prior != nil && prior.Held(owner, now) {
		return prior, true, nil
	}
	c = &Claim{EventID: eventID}
	if prior != nil {
		c = prior
	}
	c.Owner, c.Status, c.Until, c.Outcome = owner, ClaimInProgress, until, ""
	err = t.putClaim(ctx, c, now, prior != nil)
	if errors.Is(err, ErrConflict) {
		// Another delivery took it between the read and the write.
		other, rerr := t.readClaim(ctx, eventID)
		if rerr != nil || other == nil {
			return nil, false, errors.Join(err, rerr)
		}
		return other, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// SaveClaim writes what the run holding the claim has done, if no other
// run took the claim over meanwhile (ErrConflict).
func (t *Table) SaveClaim(ctx context.Context, c *Claim, now time.Time) error {
	return t.putClaim(ctx, c, now, true)
}

func (t *Table) readClaim(ctx context.Context, eventID string) (*Claim, error) {
	out, err := t.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key("event#" + eventID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read event %s from %s: %w", eventID, t.Name, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return &Claim{
		EventID: eventID, Owner: stringAttr(out.Item["owner"]), Status: stringAttr(out.Item["status"]),
		Until: unixAttr(out.Item["claimUntil"]), MessageID: stringAttr(out.Item["messageId"]),
		Remembered: stringAttr(out.Item["remembered"]) == "true", Outcome: stringAttr(out.Item["outcome"]),
		version: intAttr(out.Item["version"]),
	}, nil
}

// putClaim writes the claim on the condition that the stored one is the
// version read (or, for a first claim, that there is none).
func (t *Table) putClaim(ctx context.Context, c *Claim, now time.Time, replace bool) error {
	item := key("event#" + c.EventID)
	item["owner"] = &types.AttributeValueMemberS{Value: c.Owner}
	item["status"] = &types.AttributeValueMemberS{Value: c.Status}
	item["claimUntil"] = unixValue(c.Until)
	item["remembered"] = &types.AttributeValueMemberS{Value: strconv.FormatBool(c.Remembered)}
	item["version"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(c.version+1, 10)}
	item["expiresAt"] = unixValue(now.Add(eventTTL))
	for name, v := range map[string]string{"messageId": c.MessageID, "outcome": c.Outcome} {
		if v != "" {
			item[name] = &types.AttributeValueMemberS{Value: v}
		}
	}
	if err := t.putIf(ctx, item, c.version, replace); err != nil {
		return fmt.Errorf("record event %s in %s: %w", c.EventID, t.Name, err)
	}
	c.version++
	return nil
}

// putIf puts an item if the stored one has the version given (replace) or
// does not exist; a failed condition is ErrConflict.
//
// A write the SDK retried after its answer was lost fails its condition
// against its own first attempt; the item DynamoDB returns on a failed
// condition then is exactly the one written, and the write stands.
func (t *Table) putIf(ctx context.Context, item map[string]types.AttributeValue, version int64, replace bool) error {
	in := &dynamodb.PutItemInput{
		TableName: aws.String(t.Name), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if replace {
		in.ConditionExpression, in.ExpressionAttributeValues = isVersion(version)
	}
	_, err := t.DynamoDB.PutItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) && sameItem(failed.Item, item) {
		return nil
	}
	return conflict(err)
}

// sameItem reports whether two items hold the same string and number
// attributes, the only kinds the alert memory writes with putIf.
func sameItem(stored, written map[string]types.AttributeValue) bool {
	if len(stored) != len(written) {
		return false
	}
	for name, w := range written {
		switch w := w.(type) {
		case *types.AttributeValueMemberS:
			s, ok := stored[name].(*types.AttributeValueMemberS)
			if !ok || s.Value != w.Value {
				return false
			}
		case *types.AttributeValueMemberN:
			s, ok := stored[name].(*types.AttributeValueMemberN)
			if !ok || s.Value != w.Value {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isVersion is the condition that the stored item has the version given;
// version 0 is an item written before items had versions.
func isVersion(version int64) (*string, map[string]types.AttributeValue) {
	if version == 0 {
		return aws.String("attribute_exists(pk) AND attribute_not_exists(version)"), nil
	}
	return aws.String("version = :v"), map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}}
}

func conflict(err error) error {
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return ErrConflict
	}
	return err
}

func stringAttr(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func intAttr(v types.AttributeValue) int64 {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	i, _ := strconv.ParseInt(n.Value, 10, 64)
	return i
}

func unixValue(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}
