package scenario

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Database is an RDS DB instance created by a Scenario.
type Database struct {
	Identifier string
	// Host and Port are the endpoint a function connects to.
	Host string
	Port int32
	SGID string
}

// MySQL creates a MySQL DB instance in subnets (its DB subnet group) with
// sg, not publicly accessible: the database of seed 002.
func (v *VPC) MySQL(identifier string, subnets Subnets, sg *SG) *Database {
	d := &Database{Identifier: identifier, SGID: sg.ID}
	group := identifier + "-subnets"
	v.s.do("create db subnet group "+group, func(ctx context.Context) error {
		_, err := v.s.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
			DBSubnetGroupName:        aws.String(group),
			DBSubnetGroupDescription: aws.String(fmt.Sprintf("subnets of %s", identifier)),
			SubnetIds:                subnets.IDs(),
		})
		return err
	})
	v.s.do("create db instance "+identifier, func(ctx context.Context) error {
		out, err := v.s.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(identifier),
			Engine:               aws.String("mysql"),
			DBInstanceClass:      aws.String("db.t3.micro"),
			AllocatedStorage:     aws.Int32(20),
			MasterUsername:       aws.String("admin"),
			MasterUserPassword:   aws.String("scenario-password-1"),
			DBSubnetGroupName:    aws.String(group),
			VpcSecurityGroupIds:  []string{sg.ID},
			PubliclyAccessible:   aws.Bool(false),
		})
		if err != nil {
			return err
		}
		if e := out.DBInstance.Endpoint; e != nil {
			d.Host, d.Port = aws.ToString(e.Address), aws.ToInt32(e.Port)
		}
		return nil
	})
	return d
}
