package scenario

import "fmt"

// MSKWorkload is an on-demand Kafka ESM on an IAM-auth MSK cluster in the
// private subnets of a two-AZ VPC, with everything around it.
type MSKWorkload struct {
	VPC       *VPC
	Public    Subnets // one per AZ, routed to the internet gateway
	Private   Subnets // one per AZ, one route table each; the cluster's client subnets
	NATs      []*NAT  // one per AZ in the healthy workload, none in the broken one
	ClusterSG *SG     // ingress 9098 from itself, default egress
	Cluster   *Cluster
	Role      *Role
	Function  *Function // not attached to the VPC: the ESM uses the cluster's network
	ESM       *ESM
}

// mskConsumerPolicy is what an IAM-auth MSK consumer needs beyond
// AWSLambdaMSKExecutionRole.
const mskConsumerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka-cluster:Connect","kafka-cluster:DescribeGroup","kafka-cluster:AlterGroup","kafka-cluster:DescribeTopic","kafka-cluster:ReadData","kafka-cluster:DescribeClusterDynamicConfiguration"],"Resource":"*"}]}`

// BrokenOnDemandMSK seeds the workload vpcmedic's demo diagnoses: the cluster
// sits in private subnets of two AZs with no NAT gateway and no lambda or
// sts endpoint, so the on-demand ESM cannot reach Lambda and STS.
func BrokenOnDemandMSK(s *Scenario) *MSKWorkload {
	return onDemandMSK(s, false)
}

// HealthyOnDemandMSK seeds the same workload as BrokenOnDemandMSK with a NAT
// gateway per AZ, each private subnet routed to the NAT of its own AZ.
func HealthyOnDemandMSK(s *Scenario) *MSKWorkload {
	return onDemandMSK(s, true)
}

func onDemandMSK(s *Scenario, withNAT bool) *MSKWorkload {
	w := &MSKWorkload{VPC: s.VPC("10.0.0.0/16")}
	w.Public = w.VPC.PublicSubnets("10.0.0.0/24@a", "10.0.1.0/24@b")
	w.Private = w.VPC.PrivateSubnets("10.0.10.0/24@a", "10.0.11.0/24@b")
	if withNAT {
		w.NATs = w.VPC.NATPerAZ(w.Public, w.Private)
	}
	w.ClusterSG = w.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
	w.Cluster = s.MSKCluster("orders", w.Private, w.ClusterSG, AuthIAM)
	w.Role = s.Role("orders-consumer",
		ManagedPolicy("AWSLambdaMSKExecutionRole"), Inline(mskConsumerPolicy))
	w.Function = s.Function("orders-consumer", w.Role)
	w.ESM = s.KafkaESM(w.Function, w.Cluster, "orders")
	return w
}

// String summarises the workload for a demo's output.
func (w *MSKWorkload) String() string {
	return fmt.Sprintf("vpc %s, cluster %s in %v, esm %s (on-demand), %d nat gateways",
		w.VPC.ID, w.Cluster.ARN, w.Private.IDs(), w.ESM.UUID, len(w.NATs))
}
