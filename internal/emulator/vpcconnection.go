package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// VPCConnection is an MSK managed VPC connection to place in the emulator
// as DescribeVpcConnection reports it.
type VPCConnection struct {
	ARN              string   `json:"vpcConnectionArn"`
	TargetClusterARN string   `json:"targetClusterArn,omitempty"`
	State            string   `json:"state,omitempty"`
	Authentication   string   `json:"authentication,omitempty"`
	VPCID            string   `json:"vpcId,omitempty"`
	SubnetIDs        []string `json:"clientSubnets,omitempty"`
	SecurityGroupIDs []string `json:"securityGroups,omitempty"`
}

// SeedVPCConnection places a managed VPC connection with a fixed ARN (and
// state, AVAILABLE by default) in the account and Region its ARN names, as
// a recorded event needs it; CreateVpcConnection would make up a new ARN.
func (s *Server) SeedVPCConnection(ctx context.Context, c VPCConnection) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode VPC connection %s: %w", c.ARN, err)
	}
	if err := s.post(ctx, "/_vpcmedic/vpc-connection", body, http.StatusNoContent); err != nil {
		return fmt.Errorf("seed VPC connection %s: %w", c.ARN, err)
	}
	return nil
}
