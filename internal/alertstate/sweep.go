package alertstate

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A sweep fanned out over a queue keeps, under the scheduled event's ID, one
// run item (sweep#<id>: how many shards, which of them are counted) and one
// item per finished shard (sweep#<id>#<index>: its result). The shard that
// counts last assembles the results into the sweep's one summary.

// MaxShardBytes bounds a shard's stored result (compressed): DynamoDB items
// are at most 400 KB, attribute names and the key included.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html
const MaxShardBytes = 350 << 10

// ErrTooLarge is returned for a shard result larger than MaxShardBytes
// once compressed.
var ErrTooLarge = errors.New("shard result too large for the table")

// SweepRun is the record of one fanned-out sweep.
type SweepRun struct {
	ID    string
	Total int
	// Done is how many shards have stored their result and been counted.
	Done int
	// Dispatched says every shard's message was sent.
	Dispatched bool
	// Trigger and Targets are what the shards and the summary need of the
	// scheduled event (JSON, opaque here).
	Trigger []byte
	Targets []byte
}

// Complete reports whether every shard has been counted.
func (r *SweepRun) Complete() bool { return r.Done >= r.Total }

func sweepKey(id string) map[string]types.AttributeValue { return key("sweep#" + id) }

func shardKey(id string, index int) map[string]types.AttributeValue {
	return key("sweep#" + id + "#" + strconv.Itoa(index))
}

// StartSweep records a sweep run unless one is recorded under its ID (a
// retry of the scheduled event), and returns the run as stored.
func (t *Table) StartSweep(ctx context.Context, run SweepRun, now time.Time) (*SweepRun, error) {
	item := sweepKey(run.ID)
	item["total"] = &types.AttributeValueMemberN{Value: strconv.Itoa(run.Total)}
	item["done"] = &types.AttributeValueMemberN{Value: "0"}
	item["trigger"] = &types.AttributeValueMemberS{Value: string(run.Trigger)}
	// Compressed: an organisation's account and Region pairs listed in
	// JSON pass the item limit near 6,000; compressed, past 50,000.
	targets, err := compress(run.Targets)
	if err != nil {
		return nil, err
	}
	if len(targets) > MaxShardBytes {
		return nil, fmt.Errorf("sweep %s: its %d account and Region targets take %d bytes compressed, more than one item of %s holds", run.ID, run.Total, len(targets), t.Name)
	}
	item["targetsGzip"] = &types.AttributeValueMemberB{Value: targets}
	item["expiresAt"] = unixValue(now.Add(eventTTL))
	_, err = t.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return nil, fmt.Errorf("record sweep %s in %s: %w", run.ID, t.Name, err)
	}
	stored, err := t.Sweep(ctx, run.ID)
	if err == nil && stored == nil {
		err = fmt.Errorf("sweep %s vanished from %s", run.ID, t.Name)
	}
	return stored, err
}

// Sweep returns the sweep run recorded under id, or nil.
func (t *Table) Sweep(ctx context.Context, id string) (*SweepRun, error) {
	out, err := t.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: sweepKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read sweep %s from %s: %w", id, t.Name, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return sweepRun(id, out.Item)
}

func sweepRun(id string, item map[string]types.AttributeValue) (*SweepRun, error) {
	dispatched, _ := item["dispatched"].(*types.AttributeValueMemberBOOL)
	run := &SweepRun{
		ID: id, Total: int(intAttr(item["total"])), Done: int(intAttr(item["done"])),
		Dispatched: dispatched != nil && dispatched.Value,
		Trigger:    []byte(stringAttr(item["trigger"])),
		// Recorded in plain JSON by earlier versions.
		Targets: []byte(stringAttr(item["targets"])),
	}
	if b, ok := item["targetsGzip"].(*types.AttributeValueMemberB); ok {
		targets, err := decompress(b.Value)
		if err != nil {
			return nil, fmt.Errorf("targets of sweep %s: %w", id, err)
		}
		run.Targets = targets
	}
	return run, nil
}

func compress(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// MarkDispatched records that every shard's message of the sweep was sent,
// so that a later delivery of the scheduled event sends none again.
func (t *Table) MarkDispatched(ctx context.Context, id string) error {
	_, err := t.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Name), Key: sweepKey(id),
		UpdateExpression:          aws.String("SET dispatched = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if err != nil {
		return fmt.Errorf("mark sweep %s dispatched in %s: %w", id, t.Name, conflict(err))
	}
	return nil
}

// PutShard stores a shard's result (compressed) unless one is stored: of
// two deliveries of one shard the first result stands. stored is false when
// another delivery stored it first; ErrTooLarge says the result does not
// fit in an item.
func (t *Table) PutShard(ctx context.Context, id string, index int, result []byte, now time.Time) (stored bool, err error) {
	b, err := compress(result)
	if err != nil {
		return false, err
	}
	if len(b) > MaxShardBytes {
		return false, fmt.Errorf("shard %d of sweep %s: %d bytes compressed: %w", index, id, len(b), ErrTooLarge)
	}
	item := shardKey(id, index)
	item["result"] = &types.AttributeValueMemberB{Value: b}
	item["expiresAt"] = unixValue(now.Add(eventTTL))
	_, err = t.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	switch err = conflict(err); {
	case errors.Is(err, ErrConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store shard %d of sweep %s in %s: %w", index, id, t.Name, err)
	}
	return true, nil
}

// Shard returns a shard's stored result, or nil when none is stored.
func (t *Table) Shard(ctx context.Context, id string, index int) ([]byte, error) {
	out, err := t.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: shardKey(id, index), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read shard %d of sweep %s from %s: %w", index, id, t.Name, err)
	}
	b, ok := out.Item["result"].(*types.AttributeValueMemberB)
	if !ok {
		return nil, nil
	}
	result, err := decompress(b.Value)
	if err != nil {
		return nil, fmt.Errorf("shard %d of sweep %s: %w", index, id, err)
	}
	return result, nil
}

// CountShard adds a stored shard to the run's done count, once per shard
// whatever the deliveries: the run keeps the set of counted shards and adds
// to it and to the count in one conditional update. It returns the run as
// it stands afterwards; counted is false when the shard was counted before
// (a retry after the count, or a duplicate delivery).
func (t *Table) CountShard(ctx context.Context, id string, index int) (run *SweepRun, counted bool, err error) {
	i := strconv.Itoa(index)
	out, err := t.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Name), Key: sweepKey(id),
		UpdateExpression:    aws.String("ADD done :one, counted :shard"),
		ConditionExpression: aws.String("attribute_exists(pk) AND NOT contains(counted, :index)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":shard": &types.AttributeValueMemberNS{Value: []string{i}},
			":index": &types.AttributeValueMemberN{Value: i},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	switch err = conflict(err); {
	case err == nil:
		run, err := sweepRun(id, out.Attributes)
		return run, err == nil, err
	case !errors.Is(err, ErrConflict):
		return nil, false, fmt.Errorf("count shard %d of sweep %s in %s: %w", index, id, t.Name, err)
	}
	run, err = t.Sweep(ctx, id)
	if err == nil && run == nil {
		err = fmt.Errorf("count shard %d of sweep %s: no such sweep in %s", index, id, t.Name)
	}
	return run, false, err
}
