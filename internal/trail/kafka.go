package trail

import (
	"fmt"
	"strings"
)

// MSK API names that can break how a Kafka event source mapping reaches its
// cluster.
const (
	// UpdateSecurity changes client authentication, and so the broker
	// ports; UpdateConnectivity public access and multi-VPC connectivity.
	ActionUpdateSecurity     = "UpdateSecurity"
	ActionUpdateConnectivity = "UpdateConnectivity"
	// DeleteVpcConnection is made in the client account, which owns the
	// connection and the mappings on it; RejectClientVpcConnection in the
	// cluster's account.
	ActionDeleteVPCConnection       = "DeleteVpcConnection"
	ActionRejectClientVPCConnection = "RejectClientVpcConnection"
)

// kafkaParsers read MSK's REST API records: request members in lower
// camel case, path parameters (clusterArn, arn) among them.
var kafkaParsers = map[string]func(*Trigger, node, node) error{
	ActionUpdateSecurity:            parseClusterChange,
	ActionUpdateConnectivity:        parseClusterChange,
	ActionDeleteVPCConnection:       parseDeleteVPCConnection,
	ActionRejectClientVPCConnection: parseRejectClientVPCConnection,
}

func parseClusterChange(t *Trigger, req, resp node) error {
	cluster, err := kafkaARN(req, resp, "clusterArn", ":cluster/")
	if err != nil {
		return err
	}
	t.Kafka = &KafkaChange{ClusterARN: cluster}
	t.add(KindMSKCluster, cluster)
	return nil
}

func parseDeleteVPCConnection(t *Trigger, req, resp node) error {
	conn := req.get("arn").str()
	if conn == "" {
		conn = resp.get("vpcConnectionArn").str()
	}
	if !strings.Contains(conn, ":vpc-connection/") {
		return fmt.Errorf("requestParameters has no arn of a VPC connection (got %q)", conn)
	}
	t.Kafka = &KafkaChange{VPCConnectionARN: conn}
	t.add(KindMSKVPCConnection, conn)
	return nil
}

func parseRejectClientVPCConnection(t *Trigger, req, resp node) error {
	cluster, err := kafkaARN(req, resp, "clusterArn", ":cluster/")
	if err != nil {
		return err
	}
	conn, err := kafkaARN(req, resp, "vpcConnectionArn", ":vpc-connection/")
	if err != nil {
		return err
	}
	t.Kafka = &KafkaChange{ClusterARN: cluster, VPCConnectionARN: conn}
	t.add(KindMSKCluster, cluster)
	t.add(KindMSKVPCConnection, conn)
	return nil
}

// kafkaARN returns an MSK ARN from the request, else the response, checking
// that it names the expected kind of resource.
func kafkaARN(req, resp node, member, kind string) (string, error) {
	v := req.get(member).str()
	if v == "" {
		v = resp.get(member).str()
	}
	if v == "" {
		return "", missing(member)
	}
	if !strings.HasPrefix(v, "arn:") || !strings.Contains(v, kind) {
		return "", fmt.Errorf("requestParameters.%s %q is not an MSK %s ARN", member, v, strings.Trim(kind, ":/"))
	}
	return v, nil
}

// KafkaActions lists the MSK event names vpcmedic handles.
func KafkaActions() []string { return keys(kafkaParsers) }
