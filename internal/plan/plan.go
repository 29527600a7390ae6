// Package plan turns a diagnosed workload into the cheapest set of changes
// that closes its broken paths. It is pure: it works on the snapshot, tries
// each change on a copy of it, and keeps only what the checks then confirm,
// so a plan never promises a fix it cannot verify. It never plans
// deletions, IAM changes, Block Public Access changes or NAT gateway
// address changes (it recommends those), and plans NAT gateways and Elastic
// IPs only when Options allow them and they cost less than the endpoints
// they replace.
package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// Actions of changes.
const (
	CreateInterfaceEndpoint = "create-interface-endpoint"
	CreateGatewayEndpoint   = "create-gateway-endpoint"
	AddEndpointSubnets      = "add-endpoint-subnets"
	EnableEndpointDNS       = "enable-endpoint-private-dns"
	AuthorizeIngress        = "authorize-security-group-ingress"
	AuthorizeEgress         = "authorize-security-group-egress"
	CreateRoute             = "create-route"
	EnableVPCAttribute      = "enable-vpc-attribute"
	// CreateSecurityGroup creates the group of a new private-DNS
	// endpoint, admitting TCP 443 from the VPC's IPv4 CIDR blocks.
	CreateSecurityGroup = "create-security-group"
	// AllocateAddress and CreateNATGateway are planned only with
	// Options.AllowNATCreation.
	AllocateAddress  = "allocate-address"
	CreateNATGateway = "create-nat-gateway"
)

// List prices (us-east-1, order of magnitude) quoted in alerts.
const (
	InterfaceEndpointPerAZMonth = 7.30
	NATGatewayMonth             = 32.85
	// PublicIPv4Month is what a public IPv4 address costs ($0.005 an
	// hour), a NAT gateway's Elastic IP among them.
	PublicIPv4Month = 3.65
	// NATGatewayPerGB is what a NAT gateway charges per GB it processes
	// (an interface endpoint: $0.01).
	NATGatewayPerGB = 0.045
)

// Change is one planned change, with the reason a person reads and what an
// applier needs.
type Change struct {
	Action  string
	Target  string
	Service string
	Reason  string
	// CheckIDs are the checks whose findings the change answers.
	CheckIDs       []string
	MonthlyCostUSD float64
	// Command is the AWS CLI command that makes the change by hand.
	Command string

	VPCID         string
	ServiceName   string
	SubnetIDs     []string
	GroupIDs      []string
	RouteTableIDs []string
	EndpointID    string
	PrivateDNS    bool
	Policy        string
	GroupID       string
	Port          int
	PeerGroupID   string
	NATGatewayID  string
	AllocationID  string
	Attribute     string
	// CIDRs are the VPC's IPv4 blocks a new endpoint group admits.
	CIDRs []string
	// Group names changes that are made all together or not at all: a new
	// NAT gateway without its Elastic IP or its routes costs money and
	// fixes nothing.
	Group string
}

// Options widen what the planner may propose.
type Options struct {
	// AllowNATCreation lets the planner propose new NAT gateways, with
	// their Elastic IPs, where they cost less than the interface endpoints
	// they replace (the AllowNatCreation parameter).
	AllowNATCreation bool
}

// Plan is the changes for one workload, and what they cannot fix.
type Plan struct {
	Changes []Change
	// Unfixable says, per gap, why no safe change closes it.
	Unfixable []string
	// Recommendations are fixes a person must decide on.
	Recommendations []string
}

// MonthlyCostUSD sums the changes' costs.
func (p Plan) MonthlyCostUSD() float64 {
	var total float64
	for _, c := range p.Changes {
		total += c.MonthlyCostUSD
	}
	return total
}

// planner holds the copy of the snapshot the changes are tried on.
type planner struct {
	t    *check.Target
	snap *network.Snapshot
	plan Plan
	seq  int
}

// For plans the changes for a diagnosed workload.
func For(t *check.Target, opts Options) Plan {
	if t.Workload.Unresolved != "" || t.Network == nil {
		return Plan{}
	}
	p, _ := build(t, nil)
	if opts.AllowNATCreation {
		p = withNATGateways(t, p)
	}
	if w := t.Workload; provisionable(w) && len(p.Changes)+len(p.Unfixable) > 0 {
		p.Recommendations = append(p.Recommendations,
			"Alternatively, switch the mapping to provisioned mode (set ProvisionedPollerConfig): its pollers then need no path to Lambda or STS, at the price of event pollers billed by the hour.")
	}
	return p
}

// build plans every gap, routing the services of nat (when set) to new
// NAT gateways instead of interface endpoints. It returns why the NAT
// gateways cannot do it, if so.
func build(t *check.Target, nat *natChoice) (Plan, string) {
	p := &planner{t: t, snap: clone(t.Network)}
	if !p.snap.VPC.DNSSupport {
		p.enableAttribute("enableDnsSupport", "VM101", "DNS support is off: no name resolves in the VPC")
	}
	for _, req := range t.Requirements {
		if nat == nil || !nat.serves(req.Service) {
			p.service(req)
		}
	}
	if nat != nil {
		if why := p.natGateways(nat); why != "" {
			return Plan{}, why
		}
	}
	p.brokers()
	p.databases()
	p.permissions()
	return p.plan, ""
}

// target is a fresh view of the copy, so paths are recomputed after each
// change.
func (p *planner) target() *check.Target {
	t := *p.t
	t.Network = p.snap
	return check.Fresh(&t)
}

// failing returns the workload subnets where the service has no path,
// leaving out those vpcmedic cannot see through.
func (p *planner) failing(service string) []reach.ServicePath {
	t := p.target()
	var out []reach.ServicePath
	for _, sn := range t.Subnets() {
		if path := t.ServicePath(sn.ID, service); !path.OK && !path.Unverified {
			out = append(out, path)
		}
	}
	return out
}

func (p *planner) add(c Change) {
	c.Command = command(p.t.Region, c)
	p.plan.Changes = append(p.plan.Changes, c)
	apply(p.snap, c, p.t.Region)
}

func (p *planner) plannedID(prefix string) string {
	p.seq++
	return fmt.Sprintf("%s-planned%d", prefix, p.seq)
}

func (p *planner) enableAttribute(name, checkID, why string) {
	p.add(Change{Action: EnableVPCAttribute, Target: p.snap.VPC.ID, VPCID: p.snap.VPC.ID, Attribute: name, CheckIDs: []string{checkID},
		Reason: fmt.Sprintf("turn %s back on for VPC %s: %s", name, p.snap.VPC.ID, why)})
}

// service closes the gaps of one required service, cheapest first.
func (p *planner) service(req check.Requirement) {
	gaps := p.failing(req.Service)
	if len(gaps) == 0 {
		return
	}
	if e, ok := p.endpointFor(req.Service); ok {
		p.repairEndpoint(req, e)
	} else if !p.natRoutes(req, gaps) {
		p.natAdvice(gaps)
		if req.Service == "s3" || req.Service == "dynamodb" {
			p.gatewayEndpoint(req)
		} else {
			p.createEndpoint(req)
		}
	}
	for _, g := range p.failing(req.Service) {
		p.plan.Unfixable = append(p.plan.Unfixable, fmt.Sprintf("%s in %s (subnet %s): %s", req.Service, g.AZ, g.SubnetID, g.Problem))
	}
}

// endpointFor returns the endpoint that serves (or should serve) the
// service: the one with private DNS first.
func (p *planner) endpointFor(service string) (network.Endpoint, bool) {
	eps := reach.Endpoints(p.snap, p.t.Region, service, "Interface")
	slices.SortStableFunc(eps, func(a, b network.Endpoint) int {
		switch {
		case a.PrivateDNS == b.PrivateDNS:
			return 0
		case a.PrivateDNS:
			return -1
		}
		return 1
	})
	if len(eps) == 0 {
		return network.Endpoint{}, false
	}
	return eps[0], true
}

// natRoutes routes each failing private subnet without a default route to
// an available NAT gateway that serves its own zone, when one exists for
// every such subnet: free, and no new resource. The routes are proposed
// only when the checks confirm them on a copy of the network. A
// private-DNS endpoint would shadow them, but then endpointFor has already
// answered.
func (p *planner) natRoutes(req check.Requirement, gaps []reach.ServicePath) bool {
	var changes []Change
	for _, g := range gaps {
		egress := reach.DefaultEgress(p.snap, g.SubnetID)
		if reach.Public(p.snap, g.SubnetID) || egress.Kind != reach.EgressNone || egress.TargetID != "" || egress.RouteTableID == "" {
			return false
		}
		nat, ok := natInZone(p.snap, g.AZ)
		if !ok {
			return false
		}
		if slices.ContainsFunc(changes, func(c Change) bool { return c.Target == egress.RouteTableID }) {
			continue
		}
		changes = append(changes, Change{
			Action: CreateRoute, Target: egress.RouteTableID, Service: req.Service, CheckIDs: []string{"VM102"},
			RouteTableIDs: []string{egress.RouteTableID}, NATGatewayID: nat.ID,
			Reason: fmt.Sprintf("route 0.0.0.0/0 of route table %s (subnet %s, %s) to %s, so %s is reachable (%s)", egress.RouteTableID, g.SubnetID, g.AZ, natWhere(nat, g.AZ), req.Service, req.Why),
		})
	}
	if len(changes) == 0 || !p.confirmed(req.Service, gaps, changes) {
		return false
	}
	for _, c := range changes {
		p.add(c)
	}
	return true
}

// confirmed tries changes on a copy of the network and reports whether
// every gap's subnet then reaches the service: a path left broken, or one
// the checks cannot verify, does not count.
func (p *planner) confirmed(service string, gaps []reach.ServicePath, changes []Change) bool {
	s := clone(p.snap)
	for _, c := range changes {
		apply(s, c, p.t.Region)
	}
	t := *p.t
	t.Network = s
	after := check.Fresh(&t)
	for _, g := range gaps {
		if !after.ServicePath(g.SubnetID, service).OK {
			return false
		}
	}
	return true
}

// zoneSubnets picks one workload subnet per zone.
func (p *planner) zoneSubnets() []string {
	var ids, zones []string
	for _, sn := range p.target().Subnets() {
		if !slices.Contains(zones, sn.AvailabilityZone) {
			zones = append(zones, sn.AvailabilityZone)
			ids = append(ids, sn.ID)
		}
	}
	return ids
}

// createEndpoint creates the interface endpoint in every zone of the
// workload, with private DNS. Private DNS sends the whole VPC's traffic for
// the service to it, so it gets a group of its own admitting 443 from the
// VPC's CIDR blocks and a policy admitting every principal of the account:
// whoever reached the service through NAT still does. Where the VPC's
// blocks or the account are unknown, a person decides.
func (p *planner) createEndpoint(req check.Requirement) {
	subnets := p.zoneSubnets()
	if len(subnets) == 0 {
		return
	}
	cidrs := vpcIPv4CIDRs(p.snap)
	policy, err := policyFor(p.t, req.Service)
	if len(cidrs) == 0 || err != nil {
		why := "the VPC's IPv4 CIDR blocks are unknown"
		if err != nil {
			why = err.Error()
		}
		p.plan.Recommendations = append(p.plan.Recommendations, fmt.Sprintf(
			"Create a %s interface endpoint with private DNS by hand: it takes the service's traffic for all of VPC %s, and vpcmedic cannot make sure it admits every client (%s). Give it a security group admitting TCP 443 from every IPv4 CIDR block of the VPC and a policy that refuses no principal of the account.",
			req.Service, p.snap.VPC.ID, why))
		return
	}
	if !p.snap.VPC.DNSHostnames {
		p.enableAttribute("enableDnsHostnames", "VM102", "private DNS of interface endpoints needs DNS hostnames")
	}
	group := p.endpointGroup(req, cidrs)
	p.add(Change{
		Action: CreateInterfaceEndpoint, Target: p.snap.VPC.ID, Service: req.Service, CheckIDs: []string{"VM102"},
		VPCID: p.snap.VPC.ID, ServiceName: reach.EndpointServiceName(p.t.Region, req.Service), SubnetIDs: subnets,
		GroupIDs: []string{group}, PrivateDNS: true, Policy: policy, EndpointID: p.plannedID("vpce"),
		MonthlyCostUSD: InterfaceEndpointPerAZMonth * float64(len(subnets)),
		Reason:         fmt.Sprintf("create a %s interface endpoint with private DNS in %s, one per zone, so %s is reachable (%s); its policy admits every principal of the account", req.Service, strings.Join(subnets, ", "), req.Service, req.Why),
	})
	p.openEgress(req, group)
}

// endpointGroup is the security group of the endpoints vpcmedic creates in
// the VPC: the one it made before, or one planned now (once per VPC).
func (p *planner) endpointGroup(req check.Requirement, cidrs []string) string {
	for _, g := range p.snap.SecurityGroups {
		if g.Name == EndpointGroupName && g.Tags[managedTag] == "true" {
			return g.ID
		}
	}
	group := p.plannedID("sg")
	p.add(Change{
		Action: CreateSecurityGroup, Target: p.snap.VPC.ID, Service: req.Service, CheckIDs: []string{"VM102"},
		VPCID: p.snap.VPC.ID, GroupID: group, Port: reach.HTTPS, CIDRs: cidrs,
		Reason: fmt.Sprintf("create security group %s for the interface endpoints vpcmedic creates, admitting TCP 443 from the VPC's blocks %s, so every client of the VPC reaches them", EndpointGroupName, strings.Join(cidrs, ", ")),
	})
	return group
}

// vpcIPv4CIDRs are the VPC's IPv4 blocks, the world excluded.
func vpcIPv4CIDRs(s *network.Snapshot) []string {
	var out []string
	for _, c := range s.VPC.CIDRs {
		if c.IsValid() && c.Addr().Is4() && c.Bits() > 0 {
			out = append(out, c.Masked().String())
		}
	}
	return out
}

// gatewayEndpoint adds a free gateway endpoint on the workload subnets'
// route tables.
func (p *planner) gatewayEndpoint(req check.Requirement) {
	var tables []string
	for _, sn := range p.target().Subnets() {
		if rt, ok := p.snap.RouteTableOf(sn.ID); ok && !slices.Contains(tables, rt.ID) {
			tables = append(tables, rt.ID)
		}
	}
	if len(tables) == 0 {
		return
	}
	p.add(Change{
		Action: CreateGatewayEndpoint, Target: p.snap.VPC.ID, Service: req.Service, CheckIDs: []string{"VM102"},
		VPCID: p.snap.VPC.ID, ServiceName: reach.EndpointServiceName(p.t.Region, req.Service), RouteTableIDs: tables,
		EndpointID: p.plannedID("vpce"),
		Reason:     fmt.Sprintf("create a free %s gateway endpoint on route tables %s, so %s is reachable (%s)", req.Service, strings.Join(tables, ", "), req.Service, req.Why),
	})
}

// repairEndpoint fixes an existing endpoint instead of creating a second
// one: private DNS, missing zones, then its security group.
func (p *planner) repairEndpoint(req check.Requirement, e network.Endpoint) {
	if !p.snap.VPC.DNSHostnames {
		p.enableAttribute("enableDnsHostnames", "VM102", fmt.Sprintf("the private DNS of endpoint %s needs DNS hostnames", e.ID))
	}
	if !e.PrivateDNS {
		p.add(Change{Action: EnableEndpointDNS, Target: e.ID, EndpointID: e.ID, Service: req.Service, CheckIDs: []string{"VM102"}, PrivateDNS: true,
			Reason: fmt.Sprintf("turn on private DNS of the %s endpoint %s, so %s's name leads to it (%s)", req.Service, e.ID, req.Service, req.Why)})
	}
	var missing []string
	for _, id := range p.zoneSubnets() {
		sn, _ := p.snap.Subnet(id)
		if !slices.ContainsFunc(e.SubnetIDs, func(s string) bool {
			other, ok := p.snap.Subnet(s)
			return ok && other.AvailabilityZone == sn.AvailabilityZone
		}) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 && len(p.failing(req.Service)) > 0 {
		p.add(Change{Action: AddEndpointSubnets, Target: e.ID, EndpointID: e.ID, Service: req.Service, SubnetIDs: missing, CheckIDs: []string{"VM102", "VM103"},
			MonthlyCostUSD: InterfaceEndpointPerAZMonth * float64(len(missing)),
			Reason:         fmt.Sprintf("add subnets %s to the %s endpoint %s, so every zone of the workload has its own interface", strings.Join(missing, ", "), req.Service, e.ID)})
	}
	if len(p.failing(req.Service)) > 0 && len(e.SecurityGroupIDs) > 0 {
		p.openHTTPS(req, e.SecurityGroupIDs[0])
	}
	if gaps := p.failing(req.Service); len(gaps) > 0 && strings.Contains(gaps[0].Problem, "policy") {
		doc, err := policyFor(p.t, req.Service)
		if err != nil {
			doc = "one allowing every principal of the account, and Lambda's service principal for STS and Lambda"
		}
		p.plan.Recommendations = append(p.plan.Recommendations, fmt.Sprintf("Replace the policy of the %s endpoint %s with one that allows what Lambda needs and every other client of the VPC (vpcmedic does not rewrite policies it did not create): %s", req.Service, e.ID, doc))
	}
}

// workloadGroup is the group vpcmedic attaches to endpoints it creates.
func (p *planner) workloadGroup() string {
	if g := p.t.Workload.Network.SecurityGroupIDs; len(g) > 0 {
		return g[0]
	}
	return ""
}

// openHTTPS lets the workload's groups reach the endpoint group on 443:
// ingress from the workload group (never from a CIDR), and egress where
// the workload's egress is restricted.
func (p *planner) openHTTPS(req check.Requirement, endpointGroup string) {
	workloadGroup := p.workloadGroup()
	if workloadGroup == "" || len(p.failing(req.Service)) == 0 {
		return
	}
	if !ingressFromGroup(p.snap, endpointGroup, workloadGroup, reach.HTTPS) {
		p.add(Change{Action: AuthorizeIngress, Target: endpointGroup, GroupID: endpointGroup, PeerGroupID: workloadGroup, Port: reach.HTTPS, Service: req.Service, CheckIDs: []string{"VM102"},
			Reason: fmt.Sprintf("allow TCP 443 into %s (the %s endpoint's group) from %s (the workload's group)", endpointGroup, req.Service, workloadGroup)})
	}
	p.openEgress(req, endpointGroup)
}

// openEgress lets the workload's group reach the endpoint group on 443
// where the workload's egress is restricted.
func (p *planner) openEgress(req check.Requirement, endpointGroup string) {
	workloadGroup := p.workloadGroup()
	if workloadGroup == "" {
		return
	}
	if len(p.failing(req.Service)) > 0 && !egressToGroup(p.snap, workloadGroup, endpointGroup, reach.HTTPS) {
		p.add(Change{Action: AuthorizeEgress, Target: workloadGroup, GroupID: workloadGroup, PeerGroupID: endpointGroup, Port: reach.HTTPS, Service: req.Service, CheckIDs: []string{"VM102"},
			Reason: fmt.Sprintf("allow TCP 443 out of %s (the workload's group, whose egress is restricted) to %s", workloadGroup, endpointGroup)})
	}
}

// provisionable: Kafka and DocumentDB mappings have a provisioned mode
// whose pollers need no endpoint (Lambda guide, DocumentDB: "If your event
// source mapping uses provisioned mode, you don't need to configure AWS
// PrivateLink VPC endpoints").
func provisionable(w *workload.Workload) bool {
	switch {
	case w.Kafka != nil:
		return w.Kafka.OnDemand
	case w.Poller != nil:
		return w.Poller.Source == workload.SourceDocumentDB && w.Poller.OnDemand
	}
	return false
}

// brokers opens the broker (or cluster) port within the source's own
// group when the mapping cannot reach it.
func (p *planner) brokers() {
	w := p.t.Workload
	group := p.workloadGroup()
	if group == "" {
		return
	}
	var ports []int
	service, checkID, owner, what := "kafka", "VM104", "cluster", "the brokers"
	switch {
	case w.Kafka != nil && w.Kafka.Source != workload.SourceSelfManagedKafka:
		ports = w.Kafka.BrokerPorts
	case w.Poller != nil && w.Poller.Source == workload.SourceDocumentDB:
		ports, service, checkID, what = w.Poller.Ports, "docdb", "VM123", "the cluster"
	case w.Poller != nil:
		ports, service, checkID, owner, what = w.Poller.Ports, "mq", "VM123", "broker", "the broker"
	default:
		return
	}
	for _, port := range ports {
		if p.brokerGaps(port) == 0 {
			continue
		}
		if !ingressFromGroup(p.snap, group, group, port) {
			p.add(Change{Action: AuthorizeIngress, Target: group, GroupID: group, PeerGroupID: group, Port: port, Service: service, CheckIDs: []string{checkID},
				Reason: fmt.Sprintf("allow TCP %d into the %s's group %s from itself, so the mapping's interfaces reach %s", port, owner, group, what)})
		}
		if p.brokerGaps(port) > 0 && !egressToGroup(p.snap, group, group, port) {
			p.add(Change{Action: AuthorizeEgress, Target: group, GroupID: group, PeerGroupID: group, Port: port, Service: service, CheckIDs: []string{checkID},
				Reason: fmt.Sprintf("allow TCP %d out of the %s's group %s to itself", port, owner, group)})
		}
		if n := p.brokerGaps(port); n > 0 {
			verb := "stays"
			if what == "the brokers" {
				verb = "stay"
			}
			p.plan.Unfixable = append(p.plan.Unfixable, fmt.Sprintf("%s %s unreachable on TCP %d from %d subnets: check the network ACLs", what, verb, port, n))
		}
	}
}

func (p *planner) brokerGaps(port int) int {
	t := p.target()
	groups := t.Workload.Network.SecurityGroupIDs
	gaps := 0
	for _, from := range t.Subnets() {
		for _, to := range t.Subnets() {
			if !reach.Flow(p.snap, reach.Place{SubnetID: from.ID, GroupIDs: groups}, reach.Place{SubnetID: to.ID, GroupIDs: groups}, port).Allowed {
				gaps++
			}
		}
	}
	return gaps
}

func ingressFromGroup(s *network.Snapshot, group, peer string, port int) bool {
	g, ok := s.SecurityGroup(group)
	return ok && slices.ContainsFunc(g.Ingress, func(r network.Rule) bool { return r.GroupID == peer && reach.RuleCoversTCP(r, port) })
}

func egressToGroup(s *network.Snapshot, group, peer string, port int) bool {
	g, ok := s.SecurityGroup(group)
	return ok && slices.ContainsFunc(g.Egress, func(r network.Rule) bool {
		return reach.RuleCoversTCP(r, port) && (r.GroupID == peer || r.CIDR.IsValid() && r.CIDR.Bits() == 0 && r.CIDR.Addr().Is4())
	})
}
