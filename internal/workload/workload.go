// Package workload is the neutral model of what vpcmedic protects: event
// source mappings whose pollers run in a customer VPC (Kafka, Amazon MQ,
// DocumentDB) and VPC-attached functions, with the network
// identity their ENIs take and what they must reach. It imports no AWS SDK.
package workload

import "slices"

// Kinds of workload, as the report names them.
const (
	KindKafkaESM = "kafka-esm"
	KindMQESM    = "mq-esm"
	KindDocDBESM = "docdb-esm"
	KindFunction = "function"
	// KindManagedInstancesFunction is a function on Lambda Managed
	// Instances: it runs on the EC2 instances of a capacity provider, in
	// the provider's subnets and security groups (its own VpcConfig is
	// ignored).
	KindManagedInstancesFunction = "managed-instances-function"
)

// Sources of a Poller mapping.
const (
	SourceActiveMQ   = "activemq"
	SourceRabbitMQ   = "rabbitmq"
	SourceDocumentDB = "documentdb"
)

// IsFunction reports whether the workload is a function, on Lambda's own
// fleet or on Lambda Managed Instances.
func (w *Workload) IsFunction() bool {
	return w.Kind == KindFunction || w.Kind == KindManagedInstancesFunction
}

// Kafka event sources.
const (
	SourceMSK              = "msk"
	SourceMSKServerless    = "msk-serverless"
	SourceMSKCrossAccount  = "msk-vpc-connection"
	SourceSelfManagedKafka = "self-managed-kafka"
)

// Workload is one ESM or function.
type Workload struct {
	Kind string
	// ID is the ESM UUID, or the unqualified function ARN.
	ID string
	// Name is a short human name: the function name, or the ESM's
	// function and source.
	Name        string
	FunctionARN string
	// ExecutionRoleARN is the function's execution role (for an ESM, the
	// role of the function it invokes).
	ExecutionRoleARN string
	// Network is where the workload's ENIs live.
	Network Network
	// Unresolved, when not empty, says why the network identity could
	// not be derived (the workload cannot be verified).
	Unresolved string
	// VPCConfigs are the networks of an MSK Serverless cluster with
	// several VPC configurations, in the cluster's order; Network is then
	// the first of them. Lambda may poll from any of them, so each is
	// checked. Nil for a workload with one network.
	VPCConfigs []Network

	Kafka *Kafka
	// Poller is set for an Amazon MQ or DocumentDB mapping.
	Poller   *Poller
	Function *Function
}

// Networks are the networks the workload's ENIs may live in: its
// VPCConfigs, else its Network.
func (w *Workload) Networks() []Network {
	if len(w.VPCConfigs) > 0 {
		return w.VPCConfigs
	}
	return []Network{w.Network}
}

// InVPC reports whether one of the workload's networks is in a VPC of vpcs.
func (w *Workload) InVPC(vpcs []string) bool {
	for _, n := range w.Networks() {
		if n.VPCID != "" && slices.Contains(vpcs, n.VPCID) {
			return true
		}
	}
	return false
}

// IsMapping reports whether the workload is an event source mapping.
func (w *Workload) IsMapping() bool { return w.Kafka != nil || w.Poller != nil }

// MappingState is Lambda's State of a mapping ("" for a function).
func (w *Workload) MappingState() string {
	switch {
	case w.Kafka != nil:
		return w.Kafka.State
	case w.Poller != nil:
		return w.Poller.State
	}
	return ""
}

// Poller is an Amazon MQ or DocumentDB mapping: Lambda's pollers create
// their network interfaces in the broker's or cluster's subnets with its
// security groups, and connect to it on Ports from there.
type Poller struct {
	// Source is activemq, rabbitmq or documentdb.
	Source         string
	EventSourceARN string
	// SourceName is the broker's name or the cluster's identifier.
	SourceName string
	// Queues (MQ) or Database and Collection (DocumentDB) are read.
	Queues     []string
	Database   string
	Collection string
	// OnDemand is true when the mapping has no provisioned poller config.
	OnDemand bool
	// SecretARNs are the secrets of the BASIC_AUTH access configuration.
	SecretARNs []string
	AuthTypes  []string
	// Ports are the TCP ports the pollers connect to.
	Ports                 []int
	OnFailureDestination  string
	State                 string
	LastProcessingResult  string
	StateTransitionReason string
}

// Network is a workload's network identity.
type Network struct {
	VPCID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
}

// Kafka is what an event source mapping needs beyond its network.
type Kafka struct {
	Source         string
	EventSourceARN string
	// ClusterName is the MSK cluster's name, when known.
	ClusterName string
	Topics      []string
	// ConsumerGroupID is the group the mapping consumes as (its UUID
	// unless configured).
	ConsumerGroupID string
	// OnDemand is true when the ESM has no provisioned poller config.
	OnDemand bool
	// SecretARNs are the secrets in SourceAccessConfigurations.
	SecretARNs []string
	// AuthTypes are the SourceAccessConfiguration types in use.
	AuthTypes []string
	// BrokerPorts are the TCP ports the ESM connects to.
	BrokerPorts []int
	// ClientAuthentication names the cluster's client authentication
	// modes (iam, scram, tls, unauthenticated).
	ClientAuthentication []string
	// OnFailureDestination is the ARN of the on-failure destination.
	OnFailureDestination  string
	State                 string
	LastProcessingResult  string
	StateTransitionReason string

	// SchemaRegistry is the registry a provisioned-mode mapping validates
	// records against; nil without one.
	SchemaRegistry *SchemaRegistry

	// VPCConnection is the managed VPC connection a cross-account mapping
	// reads through, as this account sees it; nil when not read.
	VPCConnection *VPCConnection
}

// SchemaRegistry is a Kafka mapping's schema registry: a Glue registry ARN
// or a Confluent registry URL, with the secrets of its access configuration.
type SchemaRegistry struct {
	URI        string
	SecretARNs []string
}

// VPCConnection states (DescribeVpcConnection's State).
const (
	VPCConnectionAvailable = "AVAILABLE"
	VPCConnectionCreating  = "CREATING"
)

// VPCConnection is a managed VPC connection to an MSK cluster of another
// account.
type VPCConnection struct {
	ARN string
	// State is CREATING, AVAILABLE, INACTIVE, DEACTIVATING, DELETING,
	// FAILED, REJECTED or REJECTING; empty when it was not read.
	State            string
	TargetClusterARN string
	Authentication   string
	VPCID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
	// Missing is set when the connection does not exist (any more).
	Missing bool
	// Unreadable, when not empty, says why the connection could not be
	// read (its state is then unknown).
	Unreadable string
}

// Function is what a VPC function needs beyond its network.
type Function struct {
	RoleARN string
	// Runtime is the Lambda runtime identifier (python3.13, nodejs22.x,
	// provided.al2023, ...); empty for a container image.
	Runtime     string
	Environment map[string]string
	Tags        map[string]string
	IPv6        bool
	// State is Lambda's word on whether the function can run (Pending,
	// Active, Inactive, Failed, ...), with its StateReason and
	// StateReasonCode; empty when it was not read.
	State           string
	StateReason     string
	StateReasonCode string
	// LastUpdateStatus is how the last change to the function's code or
	// configuration went (InProgress, Successful, Failed), and why.
	LastUpdateStatus           string
	LastUpdateStatusReason     string
	LastUpdateStatusReasonCode string
	// LambdaUse is what Lambda itself does with the execution role.
	LambdaUse LambdaUse
	// CapacityProviderARN is the Lambda Managed Instances capacity provider
	// the function runs on; empty for a function on Lambda's own fleet.
	CapacityProviderARN string
	// TracingMode is the function's X-Ray tracing mode (Active or
	// PassThrough; empty when not reported).
	TracingMode string
	// CapacityProvider is what was read of the capacity provider; nil when
	// it was not read.
	CapacityProvider *CapacityProvider
}

// TracingActive is the X-Ray tracing mode in which the function sends
// trace segments itself.
const TracingActive = "Active"

// CapacityProvider is a Lambda Managed Instances capacity provider: where
// its instances run and which role launches them.
type CapacityProvider struct {
	ARN string
	// State is Pending, Active, Failed or Deleting.
	State            string
	OperatorRoleARN  string
	SubnetIDs        []string
	SecurityGroupIDs []string
}

// Database is a database endpoint inside a VPC that a function connects
// to, with the network identity of its interfaces when it could be read.
type Database struct {
	// Kind is rds or elasticache; Host the endpoint hostname.
	Kind string
	Host string
	Port int
	// Identifier is the DB instance or cluster identifier.
	Identifier       string
	VPCID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
	// Why says where the requirement came from.
	Why string
	// Unresolved, when not empty, says why the database's network could
	// not be read: its path is then reported unknown, never guessed.
	Unresolved string
}
