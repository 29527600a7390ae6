package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	mqtypes "github.com/aws/aws-sdk-go-v2/service/mq/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// MQ is the part of the Amazon MQ API the inventory calls.
type MQ interface {
	DescribeBroker(context.Context, *mq.DescribeBrokerInput, ...func(*mq.Options)) (*mq.DescribeBrokerOutput, error)
}

// Default broker ports, used when DescribeBroker lists no endpoint of the
// protocol Lambda consumes with (Lambda guide, "Using Lambda with Amazon
// MQ": OpenWire for ActiveMQ, AMQP 0-9-1 for RabbitMQ). Amazon MQ Developer
// Guide: ActiveMQ's OpenWire listener is ssl://...:61617; RabbitMQ's
// "listener port 5671 - used for connections made via the secure AMQP URL".
const (
	activeMQOpenWirePort = 61617
	rabbitMQAMQPSPort    = 5671
)

// mqWorkload resolves an Amazon MQ mapping. The pollers' network identity
// is the broker's: "Lambda checks whether Elastic Network Interfaces (ENIs)
// are already present for the subnets and security groups of your broker's
// VPC" (Lambda guide, "Using Lambda with Amazon MQ", Network configuration);
// the mapping itself names no subnet or group.
func (r *Reader) mqWorkload(ctx context.Context, cfg lambdatypes.EventSourceMappingConfiguration) (*workload.Workload, error) {
	w := pollerWorkload(cfg, workload.KindMQESM, "")
	brokerARN := w.Poller.EventSourceARN
	// arn:aws:mq:REGION:ACCOUNT:broker:NAME:ID; DescribeBroker takes the ID.
	parts := strings.Split(brokerARN, ":")
	brokerID := parts[len(parts)-1]
	describeMapping(w, "Amazon MQ "+brokerID)
	if r.MQ == nil {
		w.Unresolved = "Amazon MQ is not read in this run: the broker's network is unknown"
		return w, nil
	}
	out, err := r.describeBroker(ctx, brokerID)
	if err != nil {
		var nf *mqtypes.NotFoundException
		if errors.As(err, &nf) {
			w.Unresolved = fmt.Sprintf("the Amazon MQ broker %s does not exist (any more)", brokerARN)
			return w, nil
		}
		return nil, fmt.Errorf("describe broker %s: %w", brokerARN, err)
	}
	w.Poller.SourceName = aws.ToString(out.BrokerName)
	describeMapping(w, "Amazon MQ "+w.Poller.SourceName)
	switch out.EngineType {
	case mqtypes.EngineTypeActivemq:
		w.Poller.Source = workload.SourceActiveMQ
		w.Poller.Ports = endpointPorts(out.BrokerInstances, "ssl", activeMQOpenWirePort)
	case mqtypes.EngineTypeRabbitmq:
		w.Poller.Source = workload.SourceRabbitMQ
		w.Poller.Ports = endpointPorts(out.BrokerInstances, "amqps", rabbitMQAMQPSPort)
	default:
		w.Unresolved = fmt.Sprintf("the Amazon MQ broker %s has engine type %q, which vpcmedic does not know", brokerARN, out.EngineType)
		return w, nil
	}
	if aws.ToBool(out.PubliclyAccessible) {
		w.Unresolved = fmt.Sprintf("the Amazon MQ broker %s is publicly accessible: Lambda reaches it over its public endpoint, outside any VPC vpcmedic can check", brokerARN)
		return w, nil
	}
	// The answer may be shared with the broker's other mappings.
	w.Network.SubnetIDs = slices.Clone(out.SubnetIds)
	w.Network.SecurityGroupIDs = slices.Clone(out.SecurityGroups)
	if len(w.Network.SubnetIDs) == 0 {
		w.Unresolved = fmt.Sprintf("the Amazon MQ broker %s reports no subnets", brokerARN)
	}
	return w, nil
}

// endpointPorts are the ports of the broker endpoints of one scheme
// (ssl://b-1.mq.REGION.amazonaws.com:61617), else def.
func endpointPorts(instances []mqtypes.BrokerInstance, scheme string, def int) []int {
	var out []int
	for _, i := range instances {
		for _, e := range i.Endpoints {
			u, err := url.Parse(e)
			if err != nil || u.Scheme != scheme {
				continue
			}
			if p, err := strconv.Atoi(u.Port()); err == nil && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return []int{def}
	}
	slices.Sort(out)
	return out
}
