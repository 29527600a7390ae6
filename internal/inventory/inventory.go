// Package inventory reads workloads from the Lambda and MSK APIs: an event
// source mapping or a function, the network identity its ENIs take, and
// what it must reach. The event that triggered a run is only a hint; this
// package re-reads the current state.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/vpcmedic/vpcmedic/internal/lambdaarn"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// Lambda is the part of the Lambda API the inventory calls.
type Lambda interface {
	GetEventSourceMapping(context.Context, *lambda.GetEventSourceMappingInput, ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
}

// Kafka is the part of the MSK API the inventory calls.
type Kafka interface {
	DescribeClusterV2(context.Context, *kafka.DescribeClusterV2Input, ...func(*kafka.Options)) (*kafka.DescribeClusterV2Output, error)
	GetBootstrapBrokers(context.Context, *kafka.GetBootstrapBrokersInput, ...func(*kafka.Options)) (*kafka.GetBootstrapBrokersOutput, error)
	// DescribeVpcConnection reads the managed VPC connection of a
	// cross-account mapping (it belongs to this, the client, account).
	DescribeVpcConnection(context.Context, *kafka.DescribeVpcConnectionInput, ...func(*kafka.Options)) (*kafka.DescribeVpcConnectionOutput, error)
}

// EC2 is the part of the EC2 API the inventory calls: only to learn which
// VPC a workload's subnets are in.
type EC2 interface {
	ec2.DescribeSubnetsAPIClient
}

// Tagging is the part of the Resource Groups Tagging API a listing calls:
// the tags of every function in one paginated read.
type Tagging interface {
	resourcegroupstaggingapi.GetResourcesAPIClient
}

// Reader resolves workloads.
type Reader struct {
	Lambda Lambda
	Kafka  Kafka
	EC2    EC2
	// Tagging, when set, reads the tags of all functions of a listing at
	// once instead of one ListTags call each.
	Tagging Tagging
	// RDS finds the groups of the databases functions connect to; nil
	// leaves them unresolved.
	RDS RDS
	// MQ reads the brokers of Amazon MQ mappings; nil leaves them
	// unresolved.
	MQ MQ

	// cache, when set, remembers cluster reads for the length of one
	// listing, so that many mappings on one cluster cost one read.
	cache *clusterCache
}

type clusterCache struct {
	clusters map[string]*kafka.DescribeClusterV2Output
	brokers  map[string]*kafka.GetBootstrapBrokersOutput

	connections map[string]*workload.VPCConnection

	capacity capacityCache
	sources  sourceCache
}

func (r *Reader) describeCluster(ctx context.Context, clusterARN string) (*kafka.DescribeClusterV2Output, error) {
	if r.cache != nil {
		if out, ok := r.cache.clusters[clusterARN]; ok {
			return out, nil
		}
	}
	out, err := r.Kafka.DescribeClusterV2(ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(clusterARN)})
	if err == nil && r.cache != nil {
		r.cache.clusters[clusterARN] = out
	}
	return out, err
}

func (r *Reader) bootstrapBrokers(ctx context.Context, clusterARN string) (*kafka.GetBootstrapBrokersOutput, error) {
	if r.cache != nil {
		if out, ok := r.cache.brokers[clusterARN]; ok {
			return out, nil
		}
	}
	out, err := r.Kafka.GetBootstrapBrokers(ctx, &kafka.GetBootstrapBrokersInput{ClusterArn: aws.String(clusterARN)})
	if err == nil && r.cache != nil {
		r.cache.brokers[clusterARN] = out
	}
	return out, err
}

// StateDeleting is the state of a mapping on its way out: Lambda keeps
// answering for it a while after DeleteEventSourceMapping.
const StateDeleting = "Deleting"

// ErrNotFound is returned when the workload no longer exists.
var ErrNotFound = errors.New("not found")

// ESM reads one event source mapping. A mapping that is not Kafka, Amazon MQ
// or DocumentDB is not a workload vpcmedic checks: it returns (nil, nil).
func (r *Reader) ESM(ctx context.Context, uuid string) (*workload.Workload, error) {
	out, err := r.Lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("event source mapping %s: %w", uuid, ErrNotFound)
		}
		return nil, fmt.Errorf("get event source mapping %s: %w", uuid, err)
	}
	cfg := lambdatypes.EventSourceMappingConfiguration{
		UUID: out.UUID, FunctionArn: out.FunctionArn, EventSourceArn: out.EventSourceArn,
		SelfManagedEventSource: out.SelfManagedEventSource, SourceAccessConfigurations: out.SourceAccessConfigurations,
		Topics: out.Topics, AmazonManagedKafkaEventSourceConfig: out.AmazonManagedKafkaEventSourceConfig,
		SelfManagedKafkaEventSourceConfig: out.SelfManagedKafkaEventSourceConfig,
		ProvisionedPollerConfig:           out.ProvisionedPollerConfig, DestinationConfig: out.DestinationConfig,
		State: out.State, LastProcessingResult: out.LastProcessingResult, StateTransitionReason: out.StateTransitionReason,
		Queues: out.Queues, DocumentDBEventSourceConfig: out.DocumentDBEventSourceConfig,
	}
	if !pollsInVPC(cfg) {
		return nil, nil
	}
	// The function (for its execution role) and the event source do not
	// depend on each other: both are read as soon as the mapping is, and
	// the subnets' VPC as soon as the event source names them.
	var (
		wg     sync.WaitGroup
		fn     *lambda.GetFunctionConfigurationOutput
		fnErr  error
		w      *workload.Workload
		srcErr error
		vpcs   map[string]string
		vpcErr error
	)
	wg.Go(func() {
		fn, fnErr = r.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(lambdaarn.Unqualified(aws.ToString(cfg.FunctionArn), "", ""))})
	})
	wg.Go(func() {
		src := r.withCache()
		if c := mskCluster(cfg); c != "" {
			src.prefetchClusters(ctx, []string{c}, true)
		}
		if w, srcErr = src.mappingWorkload(ctx, cfg); srcErr == nil && w != nil && w.Unresolved == "" {
			vpcs, vpcErr = r.vpcsOf(ctx, networkSubnets(w))
		}
	})
	wg.Wait()
	// The errors are returned in the order the reads depend on each other.
	if srcErr != nil || w == nil {
		return nil, srcErr
	}
	// The pollers act with the function's execution role.
	var nf *lambdatypes.ResourceNotFoundException
	switch {
	case errors.As(fnErr, &nf):
	case fnErr != nil:
		return nil, fmt.Errorf("get function configuration %s: %w", w.FunctionARN, fnErr)
	default:
		w.ExecutionRoleARN = aws.ToString(fn.Role)
	}
	if w.Unresolved != "" {
		return w, nil
	}
	if vpcErr != nil {
		return nil, vpcErr
	}
	setVPC(w, vpcs)
	return w, nil
}

// withCache returns the reader itself when it remembers cluster reads, else
// a copy that does for one workload.
func (r *Reader) withCache() *Reader {
	if r.cache != nil {
		return r
	}
	return r.Scoped()
}

// prefetchClusters describes the clusters not read yet and, withBrokers,
// reads their brokers, all at once, into the reader's cache. A read that
// fails is not remembered: the workload's own read makes it again and
// reports it as it would have without the prefetch.
func (r *Reader) prefetchClusters(ctx context.Context, clusterARNs []string, withBrokers bool) {
	todo := slices.Compact(slices.Sorted(slices.Values(clusterARNs)))
	clusters := make([]*kafka.DescribeClusterV2Output, len(todo))
	brokers := make([]*kafka.GetBootstrapBrokersOutput, len(todo))
	var wg sync.WaitGroup
	slots := make(chan struct{}, prefetchWidth)
	read := func(do func()) {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			do()
		})
	}
	for i, c := range todo {
		if _, ok := r.cache.clusters[c]; !ok {
			read(func() {
				if out, err := r.Kafka.DescribeClusterV2(ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(c)}); err == nil {
					clusters[i] = out
				}
			})
		}
		if _, ok := r.cache.brokers[c]; !ok && withBrokers {
			read(func() {
				if out, err := r.Kafka.GetBootstrapBrokers(ctx, &kafka.GetBootstrapBrokersInput{ClusterArn: aws.String(c)}); err == nil {
					brokers[i] = out
				}
			})
		}
	}
	wg.Wait()
	for i, c := range todo {
		if clusters[i] != nil {
			r.cache.clusters[c] = clusters[i]
		}
		if brokers[i] != nil {
			r.cache.brokers[c] = brokers[i]
		}
	}
}

// clustersOutside returns the clusters described so far whose client
// subnets are all in VPCs other than vpcs. A cluster whose subnets cannot
// be placed is not among them: its mappings are read as usual.
func (r *Reader) clustersOutside(ctx context.Context, vpcs []string) map[string]bool {
	subnetsOf := map[string][]string{}
	var all []string
	for arn, out := range r.cache.clusters {
		var subnets []string
		if c := out.ClusterInfo; c != nil {
			if c.Provisioned != nil && c.Provisioned.BrokerNodeGroupInfo != nil {
				subnets = c.Provisioned.BrokerNodeGroupInfo.ClientSubnets
			}
			if c.Serverless != nil {
				for _, vc := range c.Serverless.VpcConfigs {
					subnets = append(subnets, vc.SubnetIds...)
				}
			}
		}
		if len(subnets) > 0 {
			subnetsOf[arn] = subnets
			all = append(all, subnets...)
		}
	}
	outside := map[string]bool{}
	if len(all) == 0 {
		return outside
	}
	vpcOf, err := r.vpcsOf(ctx, all)
	if err != nil {
		return outside
	}
	for arn, subnets := range subnetsOf {
		outside[arn] = !slices.ContainsFunc(subnets, func(s string) bool {
			v, ok := vpcOf[s]
			return !ok || slices.Contains(vpcs, v)
		})
	}
	return outside
}

// prefetchWidth bounds the clusters read at once.
const prefetchWidth = 8

// mskCluster is the MSK cluster a mapping reads from directly, if any.
func mskCluster(cfg lambdatypes.EventSourceMappingConfiguration) string {
	source := aws.ToString(cfg.EventSourceArn)
	selfManaged := cfg.SelfManagedEventSource != nil && len(cfg.SelfManagedEventSource.Endpoints) > 0
	if selfManaged || !isKafkaARN(source) || strings.Contains(source, ":vpc-connection/") {
		return ""
	}
	return source
}

// isKafkaMapping reports whether a mapping reads from Kafka: an MSK
// cluster, a VPC connection to one, or self-managed brokers.
func isKafkaMapping(cfg lambdatypes.EventSourceMappingConfiguration) bool {
	selfManaged := cfg.SelfManagedEventSource != nil && len(cfg.SelfManagedEventSource.Endpoints) > 0
	return selfManaged || isKafkaARN(aws.ToString(cfg.EventSourceArn))
}

// setVPC sets the workload's VPC from its subnets' VPCs, or says why it
// cannot: each of its VPC configurations must be in one VPC (they may be in
// different ones).
func setVPC(w *workload.Workload, vpcOfSubnet map[string]string) {
	if len(w.VPCConfigs) == 0 {
		w.Unresolved = placeNetwork(&w.Network, vpcOfSubnet, "")
		return
	}
	for i := range w.VPCConfigs {
		if w.Unresolved = placeNetwork(&w.VPCConfigs[i], vpcOfSubnet, fmt.Sprintf(" of VPC configuration %d", i+1)); w.Unresolved != "" {
			return
		}
	}
	w.Network = w.VPCConfigs[0]
}

// placeNetwork sets a network's VPC from its subnets', or returns why it
// cannot; of names the network in that reason.
func placeNetwork(n *workload.Network, vpcOfSubnet map[string]string, of string) string {
	vpcs := map[string]bool{}
	for _, s := range n.SubnetIDs {
		v, ok := vpcOfSubnet[s]
		if !ok {
			return fmt.Sprintf("subnet %s%s does not exist (any more)", s, of)
		}
		vpcs[v] = true
	}
	if len(vpcs) != 1 {
		return fmt.Sprintf("subnets %s%s span %d VPCs", strings.Join(n.SubnetIDs, ", "), of, len(vpcs))
	}
	for v := range vpcs {
		n.VPCID = v
	}
	return ""
}

// networkSubnets returns the subnets of all of a workload's networks.
func networkSubnets(w *workload.Workload) []string {
	var out []string
	for _, n := range w.Networks() {
		out = append(out, n.SubnetIDs...)
	}
	return out
}

func (r *Reader) kafkaWorkload(ctx context.Context, cfg lambdatypes.EventSourceMappingConfiguration) (*workload.Workload, error) {
	source := aws.ToString(cfg.EventSourceArn)
	if !isKafkaMapping(cfg) {
		return nil, nil
	}
	selfManaged := cfg.SelfManagedEventSource != nil && len(cfg.SelfManagedEventSource.Endpoints) > 0
	w := &workload.Workload{
		Kind:        workload.KindKafkaESM,
		ID:          aws.ToString(cfg.UUID),
		FunctionARN: lambdaarn.Unqualified(aws.ToString(cfg.FunctionArn), "", ""),
		Kafka: &workload.Kafka{
			EventSourceARN:        source,
			Topics:                cfg.Topics,
			ConsumerGroupID:       consumerGroup(cfg),
			OnDemand:              cfg.ProvisionedPollerConfig == nil,
			State:                 aws.ToString(cfg.State),
			LastProcessingResult:  aws.ToString(cfg.LastProcessingResult),
			StateTransitionReason: aws.ToString(cfg.StateTransitionReason),
		},
	}
	if d := cfg.DestinationConfig; d != nil && d.OnFailure != nil {
		w.Kafka.OnFailureDestination = aws.ToString(d.OnFailure.Destination)
	}
	w.Kafka.SchemaRegistry = schemaRegistry(cfg)
	for _, sa := range cfg.SourceAccessConfigurations {
		kind, uri := string(sa.Type), aws.ToString(sa.URI)
		switch kind {
		case "VPC_SUBNET":
			w.Network.SubnetIDs = append(w.Network.SubnetIDs, strings.TrimPrefix(uri, "subnet:"))
		case "VPC_SECURITY_GROUP":
			w.Network.SecurityGroupIDs = append(w.Network.SecurityGroupIDs, strings.TrimPrefix(uri, "security_group:"))
		default:
			w.Kafka.AuthTypes = append(w.Kafka.AuthTypes, kind)
			if slices.Contains(secretAuthTypes, kind) {
				w.Kafka.SecretARNs = append(w.Kafka.SecretARNs, uri)
			}
		}
	}
	fnName := lambdaarn.Name(w.FunctionARN)
	switch {
	case selfManaged:
		w.Kafka.Source = workload.SourceSelfManagedKafka
		servers := cfg.SelfManagedEventSource.Endpoints["KAFKA_BOOTSTRAP_SERVERS"]
		w.Kafka.BrokerPorts = portsOf(strings.Join(servers, ","), 9092)
		w.Name = fmt.Sprintf("%s <- self-managed Kafka", fnName)
		if len(w.Network.SubnetIDs) == 0 {
			w.Unresolved = "the mapping has no VPC_SUBNET source access configuration: its brokers are reached over the internet, outside any VPC vpcmedic can check"
			return w, nil
		}
	case strings.Contains(source, ":vpc-connection/"):
		w.Kafka.Source = workload.SourceMSKCrossAccount
		w.Name = fmt.Sprintf("%s <- MSK via VPC connection", fnName)
		w.Unresolved = fmt.Sprintf("the event source %s is a managed VPC connection to a cluster in another account: the cluster's VPC is not visible from this account", source)
		conn, err := r.vpcConnection(ctx, source)
		if err != nil {
			return nil, err
		}
		w.Kafka.VPCConnection = conn
		return w, nil
	default:
		if err := r.resolveMSK(ctx, w); err != nil {
			return nil, err
		}
		w.Name = fmt.Sprintf("%s <- MSK %s", fnName, w.Kafka.ClusterName)
	}
	return w, nil
}

// consumerGroup is the Kafka consumer group the mapping uses: the one
// configured, else its UUID.
func consumerGroup(cfg lambdatypes.EventSourceMappingConfiguration) string {
	if c := cfg.AmazonManagedKafkaEventSourceConfig; c != nil && aws.ToString(c.ConsumerGroupId) != "" {
		return aws.ToString(c.ConsumerGroupId)
	}
	if c := cfg.SelfManagedKafkaEventSourceConfig; c != nil && aws.ToString(c.ConsumerGroupId) != "" {
		return aws.ToString(c.ConsumerGroupId)
	}
	return aws.ToString(cfg.UUID)
}

func isKafkaARN(s string) bool {
	a, err := arn.Parse(s)
	return err == nil && a.Service == "kafka"
}

// resolveMSK fills the network identity and ports from the cluster: the
// ESM's ENIs live in the cluster's client subnets with its security groups.
func (r *Reader) resolveMSK(ctx context.Context, w *workload.Workload) error {
	clusterARN := w.Kafka.EventSourceARN
	out, err := r.describeCluster(ctx, clusterARN)
	if err != nil {
		var nf *kafkatypes.NotFoundException
		if errors.As(err, &nf) {
			w.Kafka.Source = workload.SourceMSK
			w.Unresolved = fmt.Sprintf("the MSK cluster %s does not exist (any more)", clusterARN)
			return nil
		}
		return fmt.Errorf("describe cluster %s: %w", clusterARN, err)
	}
	c := out.ClusterInfo
	if c == nil {
		return fmt.Errorf("describe cluster %s: empty answer", clusterARN)
	}
	w.Kafka.ClusterName = aws.ToString(c.ClusterName)
	switch {
	case c.Provisioned != nil:
		w.Kafka.Source = workload.SourceMSK
		if g := c.Provisioned.BrokerNodeGroupInfo; g != nil {
			w.Network.SubnetIDs = g.ClientSubnets
			w.Network.SecurityGroupIDs = g.SecurityGroups
		}
		w.Kafka.ClientAuthentication = provisionedAuth(c.Provisioned)
	case c.Serverless != nil:
		w.Kafka.Source = workload.SourceMSKServerless
		// A serverless cluster has up to five VPC configurations, each its
		// own subnets and security groups, possibly in different VPCs.
		// Lambda's guide says only that the mapping's "hyperplane ENI uses
		// the subnet and security group configuration of your MSK cluster"
		// (https://docs.aws.amazon.com/lambda/latest/dg/msk-esm-create.html),
		// and its network page (with-msk-cluster-network.html) that the
		// cluster "typically resides in a private subnet of a VPC that you
		// manage": neither says which configuration the pollers use. Each
		// is kept as a network of its own, to be checked on its own.
		for _, vc := range c.Serverless.VpcConfigs {
			w.VPCConfigs = append(w.VPCConfigs, workload.Network{SubnetIDs: vc.SubnetIds, SecurityGroupIDs: vc.SecurityGroupIds})
		}
		if len(w.VPCConfigs) > 0 {
			w.Network = w.VPCConfigs[0]
		}
		if len(w.VPCConfigs) < 2 {
			w.VPCConfigs = nil
		}
		w.Kafka.ClientAuthentication = []string{"iam"}
	default:
		w.Kafka.Source = workload.SourceMSK
		w.Unresolved = fmt.Sprintf("the MSK cluster %s is neither provisioned nor serverless", clusterARN)
		return nil
	}
	for i, n := range w.Networks() {
		if len(n.SubnetIDs) > 0 {
			continue
		}
		w.Unresolved = fmt.Sprintf("the MSK cluster %s reports no client subnets", clusterARN)
		if len(w.VPCConfigs) > 0 {
			w.Unresolved = fmt.Sprintf("VPC configuration %d of the MSK cluster %s has no subnets", i+1, clusterARN)
		}
		return nil
	}
	brokers, err := r.bootstrapBrokers(ctx, clusterARN)
	if err != nil {
		return fmt.Errorf("get bootstrap brokers of %s: %w", clusterARN, err)
	}
	w.Kafka.BrokerPorts = mskPorts(w.Kafka, brokers)
	return nil
}

func provisionedAuth(p *kafkatypes.Provisioned) []string {
	var out []string
	ca := p.ClientAuthentication
	if ca != nil && ca.Sasl != nil && ca.Sasl.Iam != nil && aws.ToBool(ca.Sasl.Iam.Enabled) {
		out = append(out, "iam")
	}
	if ca != nil && ca.Sasl != nil && ca.Sasl.Scram != nil && aws.ToBool(ca.Sasl.Scram.Enabled) {
		out = append(out, "scram")
	}
	if ca != nil && ca.Tls != nil && aws.ToBool(ca.Tls.Enabled) {
		out = append(out, "tls")
	}
	if ca == nil || ca.Unauthenticated != nil && aws.ToBool(ca.Unauthenticated.Enabled) {
		out = append(out, "unauthenticated")
	}
	return out
}

// mskPorts picks the in-VPC broker ports the ESM uses: the authentication
// its source access configuration names, else IAM when the cluster has it
// (Lambda then authenticates with the execution role), else unauthenticated.
func mskPorts(k *workload.Kafka, b *kafka.GetBootstrapBrokersOutput) []int {
	var brokers string
	switch {
	case slices.ContainsFunc(k.AuthTypes, func(t string) bool { return strings.HasPrefix(t, "SASL_SCRAM") }):
		brokers = aws.ToString(b.BootstrapBrokerStringSaslScram)
	case slices.Contains(k.AuthTypes, "CLIENT_CERTIFICATE_TLS_AUTH"):
		brokers = aws.ToString(b.BootstrapBrokerStringTls)
	case slices.Contains(k.ClientAuthentication, "iam"):
		brokers = aws.ToString(b.BootstrapBrokerStringSaslIam)
	default:
		brokers = aws.ToString(b.BootstrapBrokerStringTls)
		if brokers == "" {
			brokers = aws.ToString(b.BootstrapBrokerString)
		}
	}
	return portsOf(brokers, 0)
}

// portsOf returns the distinct ports of a comma-separated host:port list;
// def is used for entries without a port (0: skip them).
func portsOf(list string, def int) []int {
	var out []int
	for _, hp := range strings.Split(list, ",") {
		hp = strings.TrimSpace(hp)
		if hp == "" {
			continue
		}
		port := def
		if _, p, err := net.SplitHostPort(hp); err == nil {
			if n, err := strconv.Atoi(p); err == nil {
				port = n
			}
		}
		if port > 0 && !slices.Contains(out, port) {
			out = append(out, port)
		}
	}
	slices.Sort(out)
	return out
}

// vpcsOf maps subnets to their VPCs with one paginated call for all of them.
func (r *Reader) vpcsOf(ctx context.Context, subnetIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(subnetIDs) == 0 {
		return out, nil
	}
	// EC2 takes at most 200 values per filter.
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(subnetIDs))), 200) {
		p := ec2.NewDescribeSubnetsPaginator(r.EC2, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe subnets %s: %w", strings.Join(chunk, ", "), err)
			}
			for _, s := range page.Subnets {
				out[aws.ToString(s.SubnetId)] = aws.ToString(s.VpcId)
			}
		}
	}
	return out, nil
}

// Function reads one function. A function not attached to a VPC has no
// network identity to check: it returns a workload with no VPC.
func (r *Reader) Function(ctx context.Context, nameOrARN string) (*workload.Workload, error) {
	out, err := r.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(nameOrARN)})
	if err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("function %s: %w", nameOrARN, ErrNotFound)
		}
		return nil, fmt.Errorf("get function configuration %s: %w", nameOrARN, err)
	}
	w := functionWorkload(lambdatypes.FunctionConfiguration{
		FunctionArn: out.FunctionArn, FunctionName: out.FunctionName, Role: out.Role,
		Environment: out.Environment, VpcConfig: out.VpcConfig, Runtime: out.Runtime,
		State: out.State, StateReason: out.StateReason, StateReasonCode: out.StateReasonCode,
		LastUpdateStatus: out.LastUpdateStatus, LastUpdateStatusReason: out.LastUpdateStatusReason,
		LastUpdateStatusReasonCode: out.LastUpdateStatusReasonCode,
		DeadLetterConfig:           out.DeadLetterConfig, KMSKeyArn: out.KMSKeyArn,
		CapacityProviderConfig: out.CapacityProviderConfig, TracingConfig: out.TracingConfig,
	})
	if err := r.resolveCapacityProvider(ctx, w); err != nil {
		return nil, err
	}
	if w.Network.VPCID == "" && w.Kind != workload.KindManagedInstancesFunction {
		return w, nil
	}
	fnARN := w.ID
	tags, err := r.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)})
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", fnARN, err)
	}
	w.Function.Tags = tags.Tags
	return w, nil
}
