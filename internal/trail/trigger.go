// Package trail turns an EventBridge event (a CloudTrail "AWS API Call via
// CloudTrail" record or a scheduled event) into a Trigger: what changed, in
// which account, Region and VPC, and by whom. The event is only a hint of
// what to look at; callers re-read the current state from the APIs.
//
// Parsing is tolerant of the shapes CloudTrail really sends (two EC2
// serialisations, single members versus arrays, numbers as strings, Lambda
// keys whose casing varies) and strict about what it cannot use: malformed or
// unknown input is a *Error that names what was wrong.
package trail

import (
	"time"
)

// Sources of the events vpcmedic handles (SourceMQ and SourceRDS: source.go).
const (
	SourceLambda   = "aws.lambda"
	SourceEC2      = "aws.ec2"
	SourceKafka    = "aws.kafka"
	SourceSchedule = "aws.events"
)

// Detail types of the events vpcmedic handles.
const (
	DetailTypeAPICall   = "AWS API Call via CloudTrail"
	DetailTypeScheduled = "Scheduled Event"
)

// Trigger is one parsed event.
type Trigger struct {
	// EventID is detail.eventID for CloudTrail events (the key to
	// deduplicate on) and the envelope id otherwise.
	EventID string `json:"eventId,omitempty"`
	Source  string `json:"source"`
	// EventName is the name as delivered, version suffix included
	// (CreateEventSourceMapping20150331); Action is the API name without it.
	EventName string    `json:"eventName,omitempty"`
	Action    string    `json:"action"`
	Account   string    `json:"account,omitempty"`
	Region    string    `json:"region,omitempty"`
	Time      time.Time `json:"time,omitzero"`
	Actor     *Actor    `json:"actor,omitempty"`
	// VPCID is set when the event itself names the VPC.
	VPCID     string     `json:"vpcId,omitempty"`
	Resources []Resource `json:"resources"`
	// AllVPCs, when set, says why the change may affect any VPC of the
	// account and Region: an account-wide setting, or a resource whose VPC
	// the event does not name and that may no longer exist.
	AllVPCs string `json:"allVpcs,omitempty"`

	ESM          *ESMChange          `json:"eventSourceMapping,omitempty"`
	Function     *FunctionChange     `json:"function,omitempty"`
	Route        *RouteChange        `json:"route,omitempty"`
	VPCAttribute *VPCAttributeChange `json:"vpcAttribute,omitempty"`
	Permissions  []Permission        `json:"permissions,omitempty"`
	NACLEntry    *NACLEntryChange    `json:"networkAclEntry,omitempty"`
	Endpoint     *EndpointChange     `json:"vpcEndpoint,omitempty"`
	// BlockPublicAccess is a VPC Block Public Access option or exclusion
	// change.
	BlockPublicAccess *BlockPublicAccessChange `json:"blockPublicAccess,omitempty"`
	// Kafka is an MSK cluster or managed VPC connection change.
	Kafka *KafkaChange `json:"kafka,omitempty"`
	// SourceChange is an Amazon MQ broker, DB cluster or DB subnet group
	// change.
	SourceChange *SourceChange `json:"sourceChange,omitempty"`

	// ErrorCode and ErrorMessage are set when the call failed; nothing
	// changed then, and Skip says so.
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Skip, when not empty, is why this trigger needs no work.
	Skip string `json:"skipped,omitempty"`
}

// Actor is who made the call.
type Actor struct {
	Type string `json:"type,omitempty"`
	ARN  string `json:"arn,omitempty"`
	// RoleARN is the IAM role behind an assumed-role session
	// (sessionContext.sessionIssuer.arn).
	RoleARN   string `json:"roleArn,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	// InvokedBy names the AWS service that made the call on the
	// principal's behalf, if any.
	InvokedBy string `json:"invokedBy,omitempty"`
}

// Resource kinds named in triggers.
const (
	KindEventSourceMapping = "event-source-mapping"
	KindFunction           = "function"
	KindEventSource        = "event-source"
	KindVPC                = "vpc"
	KindSubnet             = "subnet"
	KindRouteTable         = "route-table"
	KindRouteTableAssoc    = "route-table-association"
	KindNATGateway         = "nat-gateway"
	KindInternetGateway    = "internet-gateway"
	KindVPCEndpoint        = "vpc-endpoint"
	KindSecurityGroup      = "security-group"
	KindSecurityGroupRule  = "security-group-rule"
	KindNetworkACL         = "network-acl"
	KindNetworkACLAssoc    = "network-acl-association"
	KindDHCPOptions        = "dhcp-options"
	KindRouteTarget        = "route-target"
	KindEgressOnlyIGW      = "egress-only-internet-gateway"
	// KindSecurityGroupName is a group named by name, which EC2 resolves in
	// the default VPC.
	KindSecurityGroupName = "security-group-name"
	KindBPAExclusion      = "block-public-access-exclusion"
	KindMSKCluster        = "msk-cluster"
	KindMSKVPCConnection  = "msk-vpc-connection"
)

// Resource is one resource the event names.
type Resource struct {
	Kind string `json:"type"`
	ID   string `json:"id"`
}

// ESMChange is what a Lambda event source mapping event says.
type ESMChange struct {
	UUID           string `json:"uuid,omitempty"`
	FunctionARN    string `json:"functionArn,omitempty"`
	EventSourceARN string `json:"eventSourceArn,omitempty"`
	// Provisioned is set when the event carries a ProvisionedPollerConfig;
	// its absence on a create means on-demand mode.
	Provisioned      *PollerConfig  `json:"provisionedPollerConfig,omitempty"`
	SourceAccess     []SourceAccess `json:"sourceAccessConfigurations,omitempty"`
	BootstrapServers []string       `json:"bootstrapServers,omitempty"`
	Topics           []string       `json:"topics,omitempty"`
	State            string         `json:"state,omitempty"`
}

// PollerConfig is an ESM's provisioned-mode poller range.
type PollerConfig struct {
	Minimum int64 `json:"minimumPollers"`
	Maximum int64 `json:"maximumPollers"`
}

// SourceAccess is one SourceAccessConfiguration entry.
type SourceAccess struct {
	Type string `json:"type"`
	URI  string `json:"uri"`
}

// FunctionChange is what a CreateFunction or UpdateFunctionConfiguration
// event says.
type FunctionChange struct {
	Name string `json:"name,omitempty"`
	// ARN is the unqualified function ARN.
	ARN string `json:"arn,omitempty"`
	// VPCConfig is nil when the call left the VPC configuration unchanged.
	VPCConfig *VPCConfig `json:"vpcConfig,omitempty"`
}

// VPCConfig is a function's network attachment as the event states it.
type VPCConfig struct {
	SubnetIDs               []string `json:"subnetIds"`
	SecurityGroupIDs        []string `json:"securityGroupIds"`
	IPv6AllowedForDualStack bool     `json:"ipv6AllowedForDualStack,omitempty"`
	VPCID                   string   `json:"vpcId,omitempty"`
}

// Detached reports whether the configuration removes the function from its
// VPC (empty lists).
func (c *VPCConfig) Detached() bool {
	return c != nil && len(c.SubnetIDs) == 0 && len(c.SecurityGroupIDs) == 0
}

// RouteChange is a route created, replaced or deleted.
type RouteChange struct {
	RouteTableID string `json:"routeTableId"`
	Destination  string `json:"destination,omitempty"`
	// TargetKind is the request member naming the target (natGatewayId,
	// gatewayId, ...); empty for a deleted route.
	TargetKind string `json:"targetKind,omitempty"`
	TargetID   string `json:"targetId,omitempty"`
}

// VPCAttributeChange is a ModifyVpcAttribute call.
type VPCAttributeChange struct {
	Name  string `json:"name"`
	Value bool   `json:"value"`
}

// Permission is one security group permission named in a revoke call.
type Permission struct {
	Protocol      string   `json:"protocol,omitempty"`
	FromPort      *int64   `json:"fromPort,omitempty"`
	ToPort        *int64   `json:"toPort,omitempty"`
	CIDRs         []string `json:"cidrs,omitempty"`
	GroupIDs      []string `json:"groupIds,omitempty"`
	PrefixListIDs []string `json:"prefixListIds,omitempty"`
}

// NACLEntryChange is a network ACL entry created, replaced or deleted.
type NACLEntryChange struct {
	NetworkACLID string `json:"networkAclId"`
	RuleNumber   int64  `json:"ruleNumber"`
	Egress       bool   `json:"egress"`
	Action       string `json:"action,omitempty"`
	Protocol     string `json:"protocol,omitempty"`
	CIDR         string `json:"cidr,omitempty"`
	FromPort     *int64 `json:"fromPort,omitempty"`
	ToPort       *int64 `json:"toPort,omitempty"`
}

// EndpointChange is what a VPC endpoint call says beyond the endpoint IDs.
type EndpointChange struct {
	ServiceName       string   `json:"serviceName,omitempty"`
	Type              string   `json:"type,omitempty"`
	PrivateDNSEnabled *bool    `json:"privateDnsEnabled,omitempty"`
	SubnetIDs         []string `json:"subnetIds,omitempty"`
	SecurityGroupIDs  []string `json:"securityGroupIds,omitempty"`
	RemovedSubnetIDs  []string `json:"removedSubnetIds,omitempty"`
	RemovedGroupIDs   []string `json:"removedSecurityGroupIds,omitempty"`
	PolicyChanged     bool     `json:"policyChanged,omitempty"`
}

// BlockPublicAccessChange is what a VPC Block Public Access call says.
type BlockPublicAccessChange struct {
	// Mode is the account's new internet gateway block mode (off,
	// block-bidirectional, block-ingress), for an options change.
	Mode        string `json:"internetGatewayBlockMode,omitempty"`
	ExclusionID string `json:"exclusionId,omitempty"`
	// ExclusionMode is allow-bidirectional or allow-egress.
	ExclusionMode string `json:"internetGatewayExclusionMode,omitempty"`
	// ResourceARN is the excluded VPC or subnet, when the event names it.
	ResourceARN string `json:"resourceArn,omitempty"`
}

// KafkaChange is what an MSK call says: the cluster it changed, and the
// managed VPC connection for the connection calls.
type KafkaChange struct {
	ClusterARN       string `json:"clusterArn,omitempty"`
	VPCConnectionARN string `json:"vpcConnectionArn,omitempty"`
}

// EventSourceARN is the event source ARN of the mappings the change can
// affect: a mapping on a cross-account cluster names the VPC connection,
// one on a cluster of its own account the cluster.
func (k *KafkaChange) EventSourceARN() string {
	if k.VPCConnectionARN != "" {
		return k.VPCConnectionARN
	}
	return k.ClusterARN
}

// IDs returns the IDs of the trigger's resources of one kind.
func (t Trigger) IDs(kind string) []string {
	var out []string
	for _, r := range t.Resources {
		if r.Kind == kind {
			out = append(out, r.ID)
		}
	}
	return out
}

func (t *Trigger) add(kind string, ids ...string) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		dup := false
		for _, r := range t.Resources {
			if r.Kind == kind && r.ID == id {
				dup = true
				break
			}
		}
		if !dup {
			t.Resources = append(t.Resources, Resource{Kind: kind, ID: id})
		}
	}
}
