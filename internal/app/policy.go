package app

import (
	"github.com/vpcmedic/vpcmedic/internal/endpointpolicy"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// endpointPolicy judges an endpoint's policy by the requests a workload
// sends through it. For a Kafka, Amazon MQ or DocumentDB mapping they are
// known (DOMAIN: Lambda's
// pollers assume the execution role through STS and invoke the function as
// the Lambda service, and read the secret with the execution role); a VPC
// function's own calls are judged by functionEndpointPolicy once its needs
// are known, and until then only a document that is not a policy is
// refused.
func endpointPolicy(w *workload.Workload) func(service string, e network.Endpoint) (bool, string) {
	return func(service string, e network.Endpoint) (bool, string) {
		var reqs []endpointpolicy.Request
		if w.IsMapping() {
			switch service {
			case "sts":
				reqs = append(reqs, endpointpolicy.STSRequest())
			case "lambda":
				reqs = append(reqs, endpointpolicy.LambdaRequest())
			case "secretsmanager":
				for _, secret := range mappingSecrets(w) {
					reqs = append(reqs, endpointpolicy.SecretsManagerRequest(w.ExecutionRoleARN, secret))
				}
			}
		}
		if len(reqs) == 0 {
			if _, err := endpointpolicy.Evaluate(e.Policy, endpointpolicy.Request{Action: service + ":*", Resource: "*"}); err != nil {
				return false, err.Error()
			}
			return true, ""
		}
		for _, r := range reqs {
			d, err := endpointpolicy.Evaluate(e.Policy, r)
			if err != nil {
				return false, err.Error()
			}
			if !d.Allowed {
				return false, d.Reason
			}
		}
		return true, ""
	}
}

// mappingSecrets are the Secrets Manager secrets a mapping's pollers read
// with the execution role (Lambda guide, DocumentDB: "To call the Secrets
// Manager API, Lambda uses your function role, not the Lambda service
// principal").
func mappingSecrets(w *workload.Workload) []string {
	switch {
	case w.Kafka != nil:
		return w.Kafka.SecretARNs
	case w.Poller != nil:
		return w.Poller.SecretARNs
	}
	return nil
}
