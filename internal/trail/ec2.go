package trail

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// ec2Parsers holds the EC2 calls that can break a workload's path. Creating
// an interface endpoint is among them: once its private DNS is on, it
// shadows the NAT path for its service, so an unusable endpoint breaks it.
var ec2Parsers = map[string]func(*Trigger, node, node) error{
	"CreateRoute":                  parseRoute,
	"ReplaceRoute":                 parseRoute,
	"DeleteRoute":                  parseRoute,
	"AssociateRouteTable":          parseAssociateRouteTable,
	"ReplaceRouteTableAssociation": parseReplaceRouteTableAssociation,
	"DisassociateRouteTable":       parseDisassociateRouteTable,
	"DeleteNatGateway":             parseDeleteNATGateway,
	"CreateVpcEndpoint":            parseCreateVPCEndpoint,
	"ModifyVpcEndpoint":            parseModifyVPCEndpoint,
	"DeleteVpcEndpoints":           parseDeleteVPCEndpoints,
	"RevokeSecurityGroupEgress":    parseRevokeSecurityGroup,
	"RevokeSecurityGroupIngress":   parseRevokeSecurityGroup,
	"ModifySecurityGroupRules":     parseModifySecurityGroupRules,
	"CreateNetworkAclEntry":        parseNACLEntry,
	"ReplaceNetworkAclEntry":       parseNACLEntry,
	"DeleteNetworkAclEntry":        parseNACLEntry,
	"ReplaceNetworkAclAssociation": parseReplaceNACLAssociation,
	"DetachInternetGateway":        parseInternetGateway,
	"DeleteInternetGateway":        parseInternetGateway,
	"ModifyVpcAttribute":           parseModifyVPCAttribute,
	"AssociateDhcpOptions":         parseAssociateDHCPOptions,
	// An IPv6 default route to a deleted egress-only gateway is a blackhole.
	"DeleteEgressOnlyInternetGateway": parseDeleteEgressOnlyIGW,
	// VPC Block Public Access can cut every internet and NAT path.
	"ModifyVpcBlockPublicAccessOptions":   parseModifyBPAOptions,
	"CreateVpcBlockPublicAccessExclusion": parseBPAExclusion,
	"ModifyVpcBlockPublicAccessExclusion": parseBPAExclusion,
	"DeleteVpcBlockPublicAccessExclusion": parseBPAExclusion,
}

// EC2Actions lists the EC2 event names vpcmedic handles.
func EC2Actions() []string { return keys(ec2Parsers) }

// keys returns a parser table's event names, sorted.
func keys(parsers map[string]func(*Trigger, node, node) error) []string {
	return slices.Sorted(maps.Keys(parsers))
}

// request reads the request parameters of either EC2 serialisation: newer
// APIs wrap them as {"<Action>Request": {PascalCase...}}, older ones put
// lower-camel members at the top. Keys match case-insensitively.
type request struct{ n node }

func ec2Request(t *Trigger, req node) request {
	if wrapped := req.get(t.Action + "Request"); wrapped.isObject() {
		return request{wrapped}
	}
	return request{req}
}

func (r request) get(key string) node { return r.n.get(key) }

// ec2Response reads the response elements of either serialisation:
// {"<Action>Response": {...}} or the members at the top.
func ec2Response(t *Trigger, resp node) node {
	if wrapped := resp.get(t.Action + "Response"); wrapped.isObject() {
		return wrapped
	}
	return resp
}

// required returns a member's string value or an error naming it.
func (r request) required(key string) (string, error) {
	v := r.get(key).str()
	if v == "" {
		return "", missing(key)
	}
	return v, nil
}

// requiredList returns a list member's values or an error naming it.
func (r request) requiredList(key string) ([]string, error) {
	v := r.get(key).strs()
	if len(v) == 0 {
		return nil, missing(key)
	}
	return v, nil
}

// routeTargets are the request members that name a route's target, with the
// resource kind each one is.
var routeTargets = []struct{ member, kind string }{
	{"natGatewayId", KindNATGateway},
	{"gatewayId", KindRouteTarget}, // an internet or virtual private gateway, or "local"
	{"vpcEndpointId", KindVPCEndpoint},
	{"transitGatewayId", KindRouteTarget},
	{"networkInterfaceId", KindRouteTarget},
	{"vpcPeeringConnectionId", KindRouteTarget},
	{"egressOnlyInternetGatewayId", KindRouteTarget},
	{"instanceId", KindRouteTarget},
	{"localGatewayId", KindRouteTarget},
	{"carrierGatewayId", KindRouteTarget},
	{"coreNetworkArn", KindRouteTarget},
	{"odbNetworkArn", KindRouteTarget}, // an Oracle Database@AWS network
}

// localTarget is the member of ReplaceRoute that resets a route to its
// default target, local; the route then names no other target.
const localTarget = "localTarget"

func parseRoute(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	table, err := r.required("routeTableId")
	if err != nil {
		return err
	}
	rc := &RouteChange{RouteTableID: table}
	for _, member := range []string{"destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"} {
		if v := r.get(member).str(); v != "" {
			rc.Destination = v
			break
		}
	}
	if rc.Destination == "" {
		return missing("destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId")
	}
	for _, target := range routeTargets {
		if v := r.get(target.member).str(); v != "" {
			rc.TargetKind, rc.TargetID = target.member, v
			if target.kind == KindRouteTarget && strings.HasPrefix(v, "igw-") {
				t.add(KindInternetGateway, v)
			} else {
				t.add(target.kind, v)
			}
			break
		}
	}
	if reset, _ := r.get(localTarget).boolean(); reset && rc.TargetID == "" {
		rc.TargetKind, rc.TargetID = localTarget, "local"
	}
	if rc.TargetID == "" && t.Action != "DeleteRoute" {
		return fmt.Errorf("requestParameters names no route target")
	}
	t.Route = rc
	t.Resources = append([]Resource{{Kind: KindRouteTable, ID: table}}, t.Resources...)
	return nil
}

func parseAssociateRouteTable(t *Trigger, req, resp node) error {
	r := ec2Request(t, req)
	table, err := r.required("routeTableId")
	if err != nil {
		return err
	}
	subnet := r.get("subnetId").str()
	gateway := r.get("gatewayId").str()
	if subnet == "" && gateway == "" {
		return missing("subnetId or gatewayId")
	}
	t.add(KindRouteTable, table)
	t.add(KindSubnet, subnet)
	t.add(KindRouteTarget, gateway)
	t.add(KindRouteTableAssoc, resp.get("associationId").str())
	return nil
}

func parseReplaceRouteTableAssociation(t *Trigger, req, resp node) error {
	r := ec2Request(t, req)
	assoc, err := r.required("associationId")
	if err != nil {
		return err
	}
	table, err := r.required("routeTableId")
	if err != nil {
		return err
	}
	t.add(KindRouteTableAssoc, assoc, resp.get("newAssociationId").str())
	t.add(KindRouteTable, table)
	return nil
}

// DisassociateRouteTable names only the association: the table must be
// looked up from it (it may already be gone).
func parseDisassociateRouteTable(t *Trigger, req, _ node) error {
	assoc, err := ec2Request(t, req).required("associationId")
	if err != nil {
		return err
	}
	t.add(KindRouteTableAssoc, assoc)
	return nil
}

func parseDeleteNATGateway(t *Trigger, req, _ node) error {
	id, err := ec2Request(t, req).required("NatGatewayId")
	if err != nil {
		return err
	}
	t.add(KindNATGateway, id)
	return nil
}

func parseCreateVPCEndpoint(t *Trigger, req, resp node) error {
	r := ec2Request(t, req)
	vpc, err := r.required("VpcId")
	if err != nil {
		return err
	}
	service, err := r.required("ServiceName")
	if err != nil {
		return err
	}
	t.VPCID = vpc
	ec := &EndpointChange{
		ServiceName:      service,
		Type:             r.get("VpcEndpointType").str(),
		SubnetIDs:        r.get("SubnetId").strs(),
		SecurityGroupIDs: r.get("SecurityGroupId").strs(),
		PolicyChanged:    r.get("PolicyDocument").exists(),
	}
	if v, ok := r.get("PrivateDnsEnabled").boolean(); ok {
		ec.PrivateDNSEnabled = &v
	}
	t.Endpoint = ec
	created := resp.path("CreateVpcEndpointResponse", "vpcEndpoint")
	if !created.exists() {
		created = resp.get("vpcEndpoint")
	}
	t.add(KindVPCEndpoint, created.get("vpcEndpointId").str())
	t.add(KindVPC, vpc)
	t.add(KindSubnet, ec.SubnetIDs...)
	t.add(KindSecurityGroup, ec.SecurityGroupIDs...)
	return nil
}

func parseModifyVPCEndpoint(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	id, err := r.required("VpcEndpointId")
	if err != nil {
		return err
	}
	ec := &EndpointChange{
		SubnetIDs:        r.get("AddSubnetId").strs(),
		SecurityGroupIDs: r.get("AddSecurityGroupId").strs(),
		RemovedSubnetIDs: r.get("RemoveSubnetId").strs(),
		RemovedGroupIDs:  r.get("RemoveSecurityGroupId").strs(),
		PolicyChanged:    r.get("PolicyDocument").exists() || r.get("ResetPolicy").str() == "true",
	}
	if v, ok := r.get("PrivateDnsEnabled").boolean(); ok {
		ec.PrivateDNSEnabled = &v
	}
	t.Endpoint = ec
	t.add(KindVPCEndpoint, id)
	t.add(KindSubnet, ec.SubnetIDs...)
	t.add(KindSubnet, ec.RemovedSubnetIDs...)
	t.add(KindSecurityGroup, ec.SecurityGroupIDs...)
	t.add(KindSecurityGroup, ec.RemovedGroupIDs...)
	return nil
}

func parseDeleteVPCEndpoints(t *Trigger, req, _ node) error {
	ids, err := ec2Request(t, req).requiredList("VpcEndpointId")
	if err != nil {
		return err
	}
	t.add(KindVPCEndpoint, ids...)
	return nil
}

// parseRevokeSecurityGroup reads a revoke by group ID or, for ingress in
// the default VPC, by group name; by permission sets, by rule IDs, or by
// the older top-level protocol, ports and CIDR.
func parseRevokeSecurityGroup(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	group := r.get("groupId").str()
	name := r.get("groupName").str()
	switch {
	case group == "" && name == "":
		return missing("groupId or groupName")
	case group == "" && t.Action != "RevokeSecurityGroupIngress":
		// EC2 takes a group name for ingress rules only.
		return missing("groupId")
	}
	ruleIDs := r.get("securityGroupRuleIds").strs()
	for _, p := range r.get("ipPermissions").list() {
		t.Permissions = append(t.Permissions, parsePermission(p))
	}
	if p, ok := topLevelPermission(r); ok && len(t.Permissions) == 0 {
		t.Permissions = append(t.Permissions, p)
	}
	if len(t.Permissions) == 0 && len(ruleIDs) == 0 {
		return missing("ipPermissions or securityGroupRuleIds")
	}
	t.add(KindSecurityGroup, group)
	if group == "" {
		t.add(KindSecurityGroupName, name)
	}
	t.add(KindSecurityGroupRule, ruleIDs...)
	for _, p := range t.Permissions {
		t.add(KindSecurityGroup, p.GroupIDs...)
	}
	return nil
}

// topLevelPermission reads the permission that older revoke calls give as
// top-level members (ipProtocol, fromPort, toPort, cidrIp).
func topLevelPermission(r request) (Permission, bool) {
	p := Permission{Protocol: r.get("ipProtocol").str()}
	if v, ok := r.get("fromPort").integer(); ok {
		p.FromPort = &v
	}
	if v, ok := r.get("toPort").integer(); ok {
		p.ToPort = &v
	}
	if c := r.get("cidrIp").str(); c != "" {
		p.CIDRs = []string{c}
	}
	named := r.get("sourceSecurityGroupName").str() != ""
	return p, p.Protocol != "" || len(p.CIDRs) > 0 || named
}

func parsePermission(p node) Permission {
	perm := Permission{Protocol: p.get("ipProtocol").str()}
	if v, ok := p.get("fromPort").integer(); ok {
		perm.FromPort = &v
	}
	if v, ok := p.get("toPort").integer(); ok {
		perm.ToPort = &v
	}
	for _, g := range p.get("groups").list() {
		if id := g.get("groupId").str(); id != "" {
			perm.GroupIDs = append(perm.GroupIDs, id)
		}
	}
	for _, r := range p.get("ipRanges").list() {
		if c := r.get("cidrIp").str(); c != "" {
			perm.CIDRs = append(perm.CIDRs, c)
		}
	}
	for _, r := range p.get("ipv6Ranges").list() {
		if c := r.get("cidrIpv6").str(); c != "" {
			perm.CIDRs = append(perm.CIDRs, c)
		}
	}
	for _, pl := range p.get("prefixListIds").list() {
		if id := pl.get("prefixListId").str(); id != "" {
			perm.PrefixListIDs = append(perm.PrefixListIDs, id)
		}
	}
	return perm
}

// ModifySecurityGroupRules does not say ingress or egress: the group is
// re-read by the caller.
func parseModifySecurityGroupRules(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	group, err := r.required("GroupId")
	if err != nil {
		return err
	}
	t.add(KindSecurityGroup, group)
	for _, rule := range r.get("SecurityGroupRule").list() {
		t.add(KindSecurityGroupRule, rule.get("SecurityGroupRuleId").str())
		if ref := rule.path("SecurityGroupRule", "ReferencedGroupId").str(); ref != "" {
			t.add(KindSecurityGroup, ref)
		}
	}
	return nil
}

func parseNACLEntry(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	acl, err := r.required("networkAclId")
	if err != nil {
		return err
	}
	rule, ok := r.get("ruleNumber").integer()
	if !ok {
		return missing("ruleNumber (a number)")
	}
	e := &NACLEntryChange{NetworkACLID: acl, RuleNumber: rule, Action: r.get("ruleAction").str(), CIDR: r.get("cidrBlock").str()}
	if e.CIDR == "" {
		e.CIDR = r.get("ipv6CidrBlock").str()
	}
	e.Egress, _ = r.get("egress").boolean()
	e.Protocol = r.get("aclProtocol").str()
	if e.Protocol == "" {
		e.Protocol = r.get("protocol").str()
	}
	if from, ok := r.get("portRange").get("from").integer(); ok {
		e.FromPort = &from
	}
	if to, ok := r.get("portRange").get("to").integer(); ok {
		e.ToPort = &to
	}
	t.NACLEntry = e
	t.add(KindNetworkACL, acl)
	return nil
}

func parseReplaceNACLAssociation(t *Trigger, req, resp node) error {
	r := ec2Request(t, req)
	assoc, err := r.required("associationId")
	if err != nil {
		return err
	}
	acl, err := r.required("networkAclId")
	if err != nil {
		return err
	}
	t.add(KindNetworkACLAssoc, assoc, resp.get("newAssociationId").str())
	t.add(KindNetworkACL, acl)
	return nil
}

func parseInternetGateway(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	igw, err := r.required("internetGatewayId")
	if err != nil {
		return err
	}
	t.add(KindInternetGateway, igw)
	if vpc := r.get("vpcId").str(); vpc != "" {
		t.VPCID = vpc
		t.add(KindVPC, vpc)
	}
	return nil
}

func parseModifyVPCAttribute(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	vpc, err := r.required("vpcId")
	if err != nil {
		return err
	}
	t.VPCID = vpc
	t.add(KindVPC, vpc)
	for _, name := range []string{"enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"} {
		if v, ok := r.get(name).boolean(); ok {
			t.VPCAttribute = &VPCAttributeChange{Name: name, Value: v}
			return nil
		}
	}
	return missing("enableDnsSupport or enableDnsHostnames")
}

func parseAssociateDHCPOptions(t *Trigger, req, _ node) error {
	r := ec2Request(t, req)
	vpc, err := r.required("vpcId")
	if err != nil {
		return err
	}
	opts, err := r.required("dhcpOptionsId")
	if err != nil {
		return err
	}
	t.VPCID = vpc
	t.add(KindVPC, vpc)
	t.add(KindDHCPOptions, opts)
	return nil
}

func parseDeleteEgressOnlyIGW(t *Trigger, req, _ node) error {
	id, err := ec2Request(t, req).required("EgressOnlyInternetGatewayId")
	if err != nil {
		return err
	}
	t.add(KindEgressOnlyIGW, id)
	t.AllVPCs = fmt.Sprintf("egress-only internet gateway %s is deleted and the event does not name its VPC", id)
	return nil
}

// parseModifyBPAOptions reads the account's new Block Public Access mode:
// it applies to every VPC of the Region, except the excluded ones.
func parseModifyBPAOptions(t *Trigger, req, _ node) error {
	mode := ec2Request(t, req).get("InternetGatewayBlockMode").str()
	t.BlockPublicAccess = &BlockPublicAccessChange{Mode: mode}
	t.AllVPCs = "VPC Block Public Access is an account-wide setting of the Region"
	if mode != "" {
		t.AllVPCs += fmt.Sprintf(" (now %s)", mode)
	}
	return nil
}

// parseBPAExclusion reads an exclusion change. A create names the VPC or
// subnet; a modify or delete only the exclusion ID, and the response the
// excluded resource when CloudTrail recorded it.
func parseBPAExclusion(t *Trigger, req, resp node) error {
	r := ec2Request(t, req)
	excl := ec2Response(t, resp).get("vpcBlockPublicAccessExclusion")
	c := &BlockPublicAccessChange{
		ExclusionID:   r.get("ExclusionId").str(),
		ExclusionMode: r.get("InternetGatewayExclusionMode").str(),
		ResourceARN:   excl.get("resourceArn").str(),
	}
	if c.ExclusionID == "" {
		c.ExclusionID = excl.get("exclusionId").str()
	}
	if c.ExclusionMode == "" {
		c.ExclusionMode = excl.get("internetGatewayExclusionMode").str()
	}
	vpc, subnet := r.get("VpcId").str(), r.get("SubnetId").str()
	if vpc == "" && subnet == "" {
		vpc, subnet = excludedResource(c.ResourceARN)
	}
	switch {
	case t.Action == "CreateVpcBlockPublicAccessExclusion" && vpc == "" && subnet == "":
		return missing("VpcId or SubnetId")
	case t.Action != "CreateVpcBlockPublicAccessExclusion" && c.ExclusionID == "":
		return missing("ExclusionId")
	}
	t.BlockPublicAccess = c
	t.add(KindBPAExclusion, c.ExclusionID)
	t.add(KindSubnet, subnet)
	if vpc != "" {
		t.VPCID = vpc
		t.add(KindVPC, vpc)
	}
	if vpc == "" && subnet == "" {
		t.AllVPCs = fmt.Sprintf("the event names only exclusion %s, not the VPC or subnet it excludes", c.ExclusionID)
	}
	return nil
}

// excludedResource returns the VPC or subnet ID of an exclusion's resource
// ARN (arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-… or …:subnet/subnet-…).
func excludedResource(resourceARN string) (vpc, subnet string) {
	a, err := arn.Parse(resourceARN)
	if err != nil || a.Service != "ec2" {
		return "", ""
	}
	kind, id, _ := strings.Cut(a.Resource, "/")
	switch kind {
	case "vpc":
		return id, ""
	case "subnet":
		return "", id
	}
	return "", ""
}
