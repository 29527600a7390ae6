package scenario

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
)

// Auth is a set of MSK client authentication methods; combine with |.
type Auth uint8

const (
	AuthPlaintext Auth = 1 << iota // unauthenticated, port 9092
	AuthTLS                        // mutual TLS, port 9094
	AuthSCRAM                      // SASL/SCRAM, port 9096
	AuthIAM                        // SASL/IAM, port 9098
)

func (a Auth) String() string {
	var names []string
	for _, m := range []struct {
		auth Auth
		name string
	}{{AuthPlaintext, "plaintext"}, {AuthTLS, "tls"}, {AuthSCRAM, "scram"}, {AuthIAM, "iam"}} {
		if a&m.auth != 0 {
			names = append(names, m.name)
		}
	}
	return strings.Join(names, "+")
}

// kafkaVersion is a version MSK offers for new provisioned clusters.
const kafkaVersion = "3.6.0"

// Cluster is an MSK cluster created by a Scenario.
type Cluster struct {
	ARN        string
	Name       string
	SubnetIDs  []string
	SGIDs      []string
	Auth       Auth
	Serverless bool
}

// MSKCluster creates a provisioned MSK cluster (CreateClusterV2) with one
// broker per client subnet and the given client authentication. It does not
// wait for the cluster to become ACTIVE (tens of minutes on AWS). TLS uses a
// placeholder private CA ARN, which only an emulator accepts.
func (s *Scenario) MSKCluster(name string, subnets Subnets, sg *SG, auth Auth) *Cluster {
	c := &Cluster{Name: name, SubnetIDs: subnets.IDs(), SGIDs: sgIDs(sg), Auth: auth}
	s.do(fmt.Sprintf("create msk cluster %s (%s auth)", name, auth), func(ctx context.Context) error {
		out, err := s.kafka.CreateClusterV2(ctx, &kafka.CreateClusterV2Input{
			ClusterName: aws.String(name),
			Tags:        s.tagsWith(name),
			Provisioned: &kafkatypes.ProvisionedRequest{
				KafkaVersion:        aws.String(kafkaVersion),
				NumberOfBrokerNodes: aws.Int32(int32(len(c.SubnetIDs))),
				BrokerNodeGroupInfo: &kafkatypes.BrokerNodeGroupInfo{
					ClientSubnets:  c.SubnetIDs,
					SecurityGroups: c.SGIDs,
					InstanceType:   aws.String("kafka.m5.large"),
				},
				ClientAuthentication: s.clientAuthentication(auth),
				EncryptionInfo: &kafkatypes.EncryptionInfo{
					EncryptionInTransit: &kafkatypes.EncryptionInTransit{
						ClientBroker: clientBroker(auth),
						InCluster:    aws.Bool(true),
					},
				},
			},
		})
		if err != nil {
			return err
		}
		c.ARN = aws.ToString(out.ClusterArn)
		return nil
	})
	return c
}

// MSKServerless creates a serverless MSK cluster, which always uses IAM
// client authentication.
func (s *Scenario) MSKServerless(name string, subnets Subnets, sg *SG) *Cluster {
	return s.MSKServerlessIn(name, ClusterVPC{Subnets: subnets, SG: sg})
}

// ClusterVPC is one VPC configuration of a serverless MSK cluster: its
// subnets and security group (nil: none named).
type ClusterVPC struct {
	Subnets Subnets
	SG      *SG
}

// MSKServerlessIn creates a serverless MSK cluster with one VPC
// configuration per ClusterVPC (MSK takes up to five, in different VPCs if
// need be). The cluster's SubnetIDs and SGIDs are those of all of them.
func (s *Scenario) MSKServerlessIn(name string, vpcs ...ClusterVPC) *Cluster {
	c := &Cluster{Name: name, Auth: AuthIAM, Serverless: true}
	var configs []kafkatypes.VpcConfig
	for _, v := range vpcs {
		subnets, groups := v.Subnets.IDs(), sgIDs(v.SG)
		c.SubnetIDs = append(c.SubnetIDs, subnets...)
		c.SGIDs = append(c.SGIDs, groups...)
		configs = append(configs, kafkatypes.VpcConfig{SubnetIds: subnets, SecurityGroupIds: groups})
	}
	s.do("create serverless msk cluster "+name, func(ctx context.Context) error {
		out, err := s.kafka.CreateClusterV2(ctx, &kafka.CreateClusterV2Input{
			ClusterName: aws.String(name),
			Tags:        s.tagsWith(name),
			Serverless: &kafkatypes.ServerlessRequest{
				VpcConfigs: configs,
				ClientAuthentication: &kafkatypes.ServerlessClientAuthentication{
					Sasl: &kafkatypes.ServerlessSasl{Iam: &kafkatypes.Iam{Enabled: aws.Bool(true)}},
				},
			},
		})
		if err != nil {
			return err
		}
		c.ARN = aws.ToString(out.ClusterArn)
		return nil
	})
	return c
}

func (s *Scenario) clientAuthentication(auth Auth) *kafkatypes.ClientAuthentication {
	ca := &kafkatypes.ClientAuthentication{}
	if auth&AuthPlaintext != 0 {
		ca.Unauthenticated = &kafkatypes.Unauthenticated{Enabled: aws.Bool(true)}
	}
	if auth&AuthTLS != 0 {
		ca.Tls = &kafkatypes.Tls{
			Enabled: aws.Bool(true),
			CertificateAuthorityArnList: []string{
				fmt.Sprintf("arn:aws:acm-pca:%s:123456789012:certificate-authority/scenario", s.region),
			},
		}
	}
	if auth&(AuthSCRAM|AuthIAM) != 0 {
		ca.Sasl = &kafkatypes.Sasl{}
		if auth&AuthSCRAM != 0 {
			ca.Sasl.Scram = &kafkatypes.Scram{Enabled: aws.Bool(true)}
		}
		if auth&AuthIAM != 0 {
			ca.Sasl.Iam = &kafkatypes.Iam{Enabled: aws.Bool(true)}
		}
	}
	return ca
}

// clientBroker is the in-transit encryption the auth methods need: only an
// unauthenticated-only cluster can be plaintext.
func clientBroker(auth Auth) kafkatypes.ClientBroker {
	switch {
	case auth == AuthPlaintext:
		return kafkatypes.ClientBrokerPlaintext
	case auth&AuthPlaintext != 0:
		return kafkatypes.ClientBrokerTlsPlaintext
	default:
		return kafkatypes.ClientBrokerTls
	}
}
