package scenario

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Endpoint is a VPC endpoint created by a Scenario.
type Endpoint struct {
	ID string
	// Service is the full service name, e.g. com.amazonaws.us-east-1.sts.
	Service       string
	Type          ec2types.VpcEndpointType
	SubnetIDs     []string // interface endpoints
	SGIDs         []string // interface endpoints
	RouteTableIDs []string // gateway endpoints
	PrivateDNS    bool
	// Policy is the custom policy document, empty for the default full
	// access policy.
	Policy string
	// InboundResolverOnlyDNS is set on an interface endpoint whose private
	// DNS answers only Route 53 Resolver inbound endpoints (S3).
	InboundResolverOnlyDNS bool
}

// EndpointOption changes how an endpoint is created.
type EndpointOption func(*Endpoint)

// WithoutPrivateDNS creates an interface endpoint with private DNS off: the
// service's public name then keeps resolving to its public addresses.
func WithoutPrivateDNS() EndpointOption {
	return func(e *Endpoint) { e.PrivateDNS = false }
}

// InboundResolverOnlyDNS creates an interface endpoint whose private DNS
// serves only queries through Route 53 Resolver inbound endpoints
// (DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint): the VPC's own
// traffic keeps using the service's gateway endpoint. S3 supports it.
func InboundResolverOnlyDNS() EndpointOption {
	return func(e *Endpoint) { e.InboundResolverOnlyDNS = true }
}

// EndpointPolicy gives the endpoint a custom policy document (JSON) instead
// of the default full access policy.
func EndpointPolicy(document string) EndpointOption {
	return func(e *Endpoint) { e.Policy = document }
}

// InterfaceEndpoint creates an interface endpoint for service (a short name
// such as "sts" or a full com.amazonaws… name) with an ENI in each of
// subnets (at most one per AZ, as AWS requires) and private DNS on. A nil sg
// leaves AWS to use the VPC's default security group.
func (v *VPC) InterfaceEndpoint(service string, subnets Subnets, sg *SG, opts ...EndpointOption) *Endpoint {
	e := &Endpoint{
		Service:    v.s.serviceName(service),
		Type:       ec2types.VpcEndpointTypeInterface,
		SubnetIDs:  subnets.IDs(),
		SGIDs:      sgIDs(sg),
		PrivateDNS: true,
	}
	for _, opt := range opts {
		opt(e)
	}
	in := &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(v.ID),
		ServiceName:       aws.String(e.Service),
		VpcEndpointType:   e.Type,
		SubnetIds:         e.SubnetIDs,
		SecurityGroupIds:  e.SGIDs,
		PrivateDnsEnabled: aws.Bool(e.PrivateDNS),
	}
	if e.InboundResolverOnlyDNS {
		in.DnsOptions = &ec2types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(true)}
	}
	return v.createEndpoint(e, in)
}

// GatewayEndpoint creates a gateway endpoint for service ("s3" or
// "dynamodb") attached to the route tables, e.g. priv.RouteTableIDs().
func (v *VPC) GatewayEndpoint(service string, routeTableIDs []string, opts ...EndpointOption) *Endpoint {
	e := &Endpoint{
		Service:       v.s.serviceName(service),
		Type:          ec2types.VpcEndpointTypeGateway,
		RouteTableIDs: routeTableIDs,
	}
	for _, opt := range opts {
		opt(e)
	}
	in := &ec2.CreateVpcEndpointInput{
		VpcId:           aws.String(v.ID),
		ServiceName:     aws.String(e.Service),
		VpcEndpointType: e.Type,
		RouteTableIds:   e.RouteTableIDs,
	}
	return v.createEndpoint(e, in)
}

func (v *VPC) createEndpoint(e *Endpoint, in *ec2.CreateVpcEndpointInput) *Endpoint {
	if e.Policy != "" {
		in.PolicyDocument = aws.String(e.Policy)
	}
	short := e.Service[strings.LastIndex(e.Service, ".")+1:]
	in.TagSpecifications = v.s.tagSpec(ec2types.ResourceTypeVpcEndpoint, fmt.Sprintf("%s-%s", v.Name, short))
	v.s.do(fmt.Sprintf("create %s endpoint %s", strings.ToLower(string(e.Type)), e.Service), func(ctx context.Context) error {
		out, err := v.s.ec2.CreateVpcEndpoint(ctx, in)
		if err != nil {
			return err
		}
		e.ID = aws.ToString(out.VpcEndpoint.VpcEndpointId)
		return nil
	})
	return e
}

func (s *Scenario) serviceName(service string) string {
	if strings.Contains(service, ".") {
		return service
	}
	return fmt.Sprintf("com.amazonaws.%s.%s", s.region, service)
}
