"""Local AWS emulator for vpcmedic's tests and demo. TEST-ONLY: never deploy this.

Starts moto's server in-process on 127.0.0.1 after patching the few moto
backends vpcmedic relies on where moto differs from AWS. Each patch below names
the moto gap it closes. Prints one line "READY http://127.0.0.1:PORT" once it
accepts requests and exits when its stdin reaches EOF, so it never outlives the
process that started it.

Usage: python3 launcher.py [--port 0]
"""

import argparse
from datetime import datetime
import fnmatch
import json
import os
import re
import sys
import threading
from urllib.parse import unquote

# Must be set before moto.iam is imported: AWS managed policies such as
# AWSLambdaVPCAccessExecutionRole are loaded only when this is true.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
# vpcmedic launches no instances: skip loading ~2,400 default AMIs (with their
# volumes and snapshots) into every EC2 backend, on start and after each reset.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

INSTALL_HINT = (  # emulator.InstallHint
    "get the pinned Python tools with `make test` or `make demo`, or run go through "
    "internal/emulator/python-env (e.g. internal/emulator/python-env go test ./...), which installs "
    "internal/emulator/requirements.txt into .venv when python3 lacks them"
)
try:
    import moto
    import werkzeug  # noqa: F401
except ImportError as err:
    print(f"{err}: {INSTALL_HINT}", file=sys.stderr)
    sys.exit(3)
if not moto.__version__.startswith("5."):
    print(f"warning: the patches below target moto 5.2, found {moto.__version__}", file=sys.stderr)

from moto.awslambda import models as lambda_models  # noqa: E402
from moto.awslambda.models import EventSourceMapping, LambdaBackend, lambda_backends  # noqa: E402
from moto.awslambda.exceptions import UnknownFunctionException  # noqa: E402
from moto.awslambda.responses import LambdaResponse  # noqa: E402
from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.ec2.models import ec2_backends  # noqa: E402
from moto.events.exceptions import InvalidEventPatternException  # noqa: E402
from moto.events.models import EventPattern  # noqa: E402
from moto.events.responses import EventsHandler  # noqa: E402
from moto.iam.exceptions import InvalidInput, NoSuchEntity  # noqa: E402
from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: E402
from moto.iam.models import AWSManagedPolicy, IAMBackend  # noqa: E402
from moto.iam.responses import IamResponse  # noqa: E402
from moto.kafka import exceptions as kafka_exceptions  # noqa: E402
from moto.kafka.models import KafkaBackend  # noqa: E402
from moto.kafka.responses import KafkaResponse  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402


# ---------------------------------------------------------------------------
# a. Lambda: Kafka event source mappings.
# Gap: EventSourceMapping accepts only dynamodb/kinesis/sqs ARNs (its setter
# raises "Unsupported event source type"), requires EventSourceArn (self-managed
# Kafka has none), has no Kafka batch-size limits, always reports State
# Enabled/Disabled, and UpdateEventSourceMapping cannot drop
# ProvisionedPollerConfig or change the Kafka source configs.
# ---------------------------------------------------------------------------


class KafkaEventSourceMapping(EventSourceMapping):
    """An ESM on Amazon MSK (cluster or managed VPC connection) or self-managed Kafka."""

    __module__ = "moto.awslambda.models"  # moto's model registry keys models by module

    @property
    def event_source_arn(self):
        return self._event_source_arn

    @event_source_arn.setter
    def event_source_arn(self, arn):
        self._event_source_arn = arn  # None for self-managed Kafka

    @property
    def batch_size(self):
        return self._batch_size

    @batch_size.setter
    def batch_size(self, size):
        if size is not None and int(size) > 10000:
            raise ValueError("InvalidParameterValueException", f"BatchSize {size} exceeds the max of 10000")
        self._batch_size = 100 if size is None else int(size)

    def _get_service_source_from_arn(self, event_source_arn=None):
        return "kafka"


def _is_kafka_source(spec):
    arn = spec.get("EventSourceArn") or ""
    return arn.startswith("arn:aws:kafka:") or (not arn and "SelfManagedEventSource" in spec)


# Amazon MQ and DocumentDB mappings, as the Lambda API reference gives them
# (CreateEventSourceMapping): an MQ mapping names exactly one queue in Queues
# and its broker credentials as a BASIC_AUTH SourceAccessConfiguration (RabbitMQ
# may add VIRTUAL_HOST); a DocumentDB mapping names its database in
# DocumentDBEventSourceConfig (DatabaseName, optional CollectionName and
# FullDocument, default "Default"). Both take BatchSize up to 10000. Neither
# has Topics; an MQ mapping has no StartingPosition.
class PolledEventSourceMapping(KafkaEventSourceMapping):
    """An ESM on an Amazon MQ broker or a DocumentDB cluster."""

    __module__ = "moto.awslambda.models"

    def _get_service_source_from_arn(self, event_source_arn=None):
        return getattr(self, "vpcmedic_source", "mq")


def _polled_source(spec):
    arn = spec.get("EventSourceArn") or ""
    if arn.startswith("arn:aws:mq:"):
        return "mq"
    if arn.startswith("arn:aws:rds:") and ":cluster:" in arn:
        return "docdb"
    return None


def _create_polled_esm(self, spec, source):
    if not spec.get("FunctionName"):
        raise JsonRESTError("InvalidParameterValueException", "Missing FunctionName")
    access = spec.get("SourceAccessConfigurations") or []
    if source == "mq":
        if len(spec.get("Queues") or []) != 1:
            raise JsonRESTError("InvalidParameterValueException", "Queues must name exactly one queue for Amazon MQ event sources")
        if not any(a.get("Type") == "BASIC_AUTH" for a in access):
            raise JsonRESTError("InvalidParameterValueException", "A BASIC_AUTH source access configuration is required for Amazon MQ event sources")
    else:
        config = spec.get("DocumentDBEventSourceConfig") or {}
        if not config.get("DatabaseName"):
            raise JsonRESTError("InvalidParameterValueException", "DocumentDBEventSourceConfig.DatabaseName is required for DocumentDB event sources")
        spec = dict(spec, DocumentDBEventSourceConfig=dict({"FullDocument": "Default"}, **config))
    func = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
    spec = dict(spec, RegionName=self.region_name, AccountId=self.account_id, FunctionArn=func.function_arn)
    esm = PolledEventSourceMapping.__new__(PolledEventSourceMapping)
    esm.vpcmedic_source = source
    esm.__init__(spec)
    if source == "mq":
        esm.starting_position = spec.get("StartingPosition")
    self._event_source_mappings[esm.uuid] = esm
    return esm


_original_create_esm = LambdaBackend.create_event_source_mapping


def create_event_source_mapping(self, spec):
    polled = _polled_source(spec)
    if polled:
        return _create_polled_esm(self, spec, polled)
    if not _is_kafka_source(spec):
        return _original_create_esm(self, spec)
    if not spec.get("FunctionName"):
        raise JsonRESTError("InvalidParameterValueException", "Missing FunctionName")
    if not spec.get("Topics"):
        raise JsonRESTError("InvalidParameterValueException", "Topics is required for Kafka event sources")
    func = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
    spec = dict(spec, RegionName=self.region_name, AccountId=self.account_id,
                FunctionArn=func.function_arn, EventSourceArn=spec.get("EventSourceArn"))
    esm = KafkaEventSourceMapping(spec)
    self._event_source_mappings[esm.uuid] = esm
    return esm


_original_update_esm = LambdaBackend.update_event_source_mapping
_KAFKA_UPDATABLE = {
    "AmazonManagedKafkaEventSourceConfig": "kafka_config",
    "SelfManagedKafkaEventSourceConfig": "self_managed_kafka_event_source_config",
    "DocumentDBEventSourceConfig": "document_db_config",
}


def update_event_source_mapping(self, uuid, spec):
    esm = _original_update_esm(self, uuid, spec)
    if esm is None:
        return None
    for key, attr in _KAFKA_UPDATABLE.items():
        if key in spec:
            setattr(esm, attr, spec[key])
    # An empty ProvisionedPollerConfig ({}) switches the ESM back to on-demand:
    # the mode is on the wire only as the presence of this field.
    poller = spec.get("ProvisionedPollerConfig")
    if poller is not None and not any(poller.get(k) for k in ("MinimumPollers", "MaximumPollers")):
        esm.poller_config = None
    return esm


# Test-only state override (POST /_vpcmedic/esm-state) layered over moto's answer.
_original_esm_configuration = EventSourceMapping.get_configuration


def esm_configuration(self):
    config = _original_esm_configuration(self)
    config.update(getattr(self, "vpcmedic_status", {}))
    return config


LambdaBackend.create_event_source_mapping = create_event_source_mapping
LambdaBackend.update_event_source_mapping = update_event_source_mapping
EventSourceMapping.get_configuration = esm_configuration


def set_esm_state(body):
    """Set State/LastProcessingResult/StateTransitionReason of an ESM, in any account and region."""
    status = {"State": body.get("state"), "LastProcessingResult": body.get("lastProcessingResult"),
              "StateTransitionReason": body.get("stateTransitionReason")}
    status = {k: v for k, v in status.items() if v}
    for account in list(lambda_backends.values()):
        for backend in list(account.values()):
            esm = backend.get_event_source_mapping(body.get("uuid", ""))
            if esm is not None:
                esm.vpcmedic_status = status
                return True
    return False


# ---------------------------------------------------------------------------
# b. MSK (kafka).
# Gap: clusters stay CREATING forever; CreateClusterV2 drops clientAuthentication,
# encryptionInfo and friends; GetBootstrapBrokers is not implemented (500); an
# unknown cluster ARN raises KeyError (500) and NotFoundException answers 400.
# ---------------------------------------------------------------------------

kafka_exceptions.NotFoundException.code = 404

_original_create_cluster = KafkaBackend.create_cluster
_original_create_cluster_v2 = KafkaBackend.create_cluster_v2
_original_describe_cluster = KafkaBackend.describe_cluster
_original_describe_cluster_v2 = KafkaBackend.describe_cluster_v2
_original_delete_cluster = KafkaBackend.delete_cluster


def _cluster(backend, arn):
    cluster = backend.clusters.get(arn)
    if cluster is None:
        raise kafka_exceptions.NotFoundException(f"Cluster {arn} does not exist.")
    return cluster


def create_cluster(self, *args, **kwargs):
    arn, name, _ = _original_create_cluster(self, *args, **kwargs)
    self.clusters[arn].state = "ACTIVE"
    return arn, name, "ACTIVE"


def create_cluster_v2(self, cluster_name, tags, provisioned, serverless):
    arn, name, _, cluster_type = _original_create_cluster_v2(self, cluster_name, tags, provisioned, serverless)
    cluster = self.clusters[arn]
    cluster.state = "ACTIVE"
    for key, attr in (("clientAuthentication", "client_authentication"), ("encryptionInfo", "encryption_info"),
                      ("configurationInfo", "configuration_info"), ("openMonitoring", "open_monitoring"),
                      ("loggingInfo", "logging_info"), ("enhancedMonitoring", "enhanced_monitoring")):
        if provisioned and provisioned.get(key):
            setattr(cluster, attr, provisioned[key])
    return arn, name, "ACTIVE", cluster_type


def describe_cluster(self, cluster_arn):
    _cluster(self, cluster_arn)
    return _original_describe_cluster(self, cluster_arn)


def describe_cluster_v2(self, cluster_arn):
    _cluster(self, cluster_arn)
    return _original_describe_cluster_v2(self, cluster_arn)


def delete_cluster(self, cluster_arn, current_version):
    _cluster(self, cluster_arn)
    return _original_delete_cluster(self, cluster_arn, current_version)


def get_bootstrap_brokers(self, cluster_arn):
    """Broker strings derived from the cluster's auth settings (ports per DOMAIN.md §3)."""
    cluster = _cluster(self, cluster_arn)
    short_id = cluster.cluster_id.replace("-", "")[:6]
    if cluster.cluster_type == "SERVERLESS":
        host = f"boot-{short_id}.c2.kafka-serverless.{self.region_name}.amazonaws.com"
        return {"BootstrapBrokerStringSaslIam": f"{host}:9098"}

    def brokers(port):
        name = re.sub(r"[^a-z0-9-]", "-", cluster.cluster_name.lower())
        count = cluster.number_of_broker_nodes or 1
        return ",".join(f"b-{i}.{name}.{short_id}.c2.kafka.{self.region_name}.amazonaws.com:{port}"
                        for i in range(1, count + 1))

    auth = cluster.client_authentication or {}
    sasl = auth.get("sasl") or {}
    scram = (sasl.get("scram") or {}).get("enabled", False)
    iam = (sasl.get("iam") or {}).get("enabled", False)
    mtls = (auth.get("tls") or {}).get("enabled", False)
    # No client authentication configured means unauthenticated access (the MSK default).
    unauthenticated = (auth.get("unauthenticated") or {}).get("enabled", False) or not (scram or iam or mtls)
    in_transit = ((cluster.encryption_info or {}).get("encryptionInTransit") or {}).get("clientBroker", "TLS")
    tls_listener = in_transit in ("TLS", "TLS_PLAINTEXT") and (mtls or unauthenticated)
    plaintext_listener = in_transit in ("PLAINTEXT", "TLS_PLAINTEXT") and unauthenticated
    public = ((((cluster.broker_node_group_info or {}).get("connectivityInfo") or {})
               .get("publicAccess") or {}).get("type") == "SERVICE_PROVIDED_EIPS")

    result = {}
    if plaintext_listener:
        result["BootstrapBrokerString"] = brokers(9092)
    if tls_listener:
        result["BootstrapBrokerStringTls"] = brokers(9094)
    if scram:
        result["BootstrapBrokerStringSaslScram"] = brokers(9096)
    if iam:
        result["BootstrapBrokerStringSaslIam"] = brokers(9098)
    if public and tls_listener:
        result["BootstrapBrokerStringPublicTls"] = brokers(9194)
    if public and scram:
        result["BootstrapBrokerStringPublicSaslScram"] = brokers(9196)
    if public and iam:
        result["BootstrapBrokerStringPublicSaslIam"] = brokers(9198)
    return result


def get_bootstrap_brokers_response(self):
    arn = unquote(self.parsed_url.path.split("/clusters/")[-1].removesuffix("/bootstrap-brokers"))
    result = self.kafka_backend.get_bootstrap_brokers(arn)
    return json.dumps({k[0].lower() + k[1:]: v for k, v in result.items()})


KafkaBackend.create_cluster = create_cluster
KafkaBackend.create_cluster_v2 = create_cluster_v2
KafkaBackend.describe_cluster = describe_cluster
KafkaBackend.describe_cluster_v2 = describe_cluster_v2
KafkaBackend.delete_cluster = delete_cluster
KafkaBackend.get_bootstrap_brokers = get_bootstrap_brokers
KafkaResponse.get_bootstrap_brokers = get_bootstrap_brokers_response


# ---------------------------------------------------------------------------
# c. Lambda: function VpcId.
# Gap: LambdaFunction.vpc_config reports the constant "vpc-123abc".
# ---------------------------------------------------------------------------


def function_vpc_config(self):
    if not self._vpc_config:
        return None
    config = dict(self._vpc_config)
    config.setdefault("SubnetIds", [])
    config.setdefault("SecurityGroupIds", [])
    config["VpcId"] = ""
    if config["SubnetIds"]:
        ec2 = ec2_backends[self.account_id][self.region]
        try:
            config["VpcId"] = ec2.get_subnet(config["SubnetIds"][0]).vpc_id
        except Exception:  # unknown subnet: AWS would have rejected it; report no VPC
            pass
    return config


lambda_models.LambdaFunction.vpc_config = property(function_vpc_config)


# ---------------------------------------------------------------------------
# d. EventBridge TestEventPattern.
# Gap: EventsHandler.test_event_pattern is a stub returning nothing (false).
# ---------------------------------------------------------------------------


def test_event_pattern(self):
    pattern = EventPattern.load(self._get_param("EventPattern"))  # raises InvalidEventPatternException
    try:
        event = json.loads(self._get_param("Event") or "")
    except ValueError:
        raise JsonRESTError("InvalidEventPatternException", "Event is not valid JSON")
    if not isinstance(event, dict):
        raise InvalidEventPatternException(reason="Event must be a JSON object")
    return json.dumps({"Result": pattern.matches_event(event)})


EventsHandler.test_event_pattern = test_event_pattern


# ---------------------------------------------------------------------------
# e. IAM SimulatePrincipalPolicy.
# Gap: not implemented by moto. This is a basic evaluator:
# - policies: the principal's inline and attached managed policies (for a user,
#   also its groups' policies) plus PolicyInputList. Permissions boundaries,
#   SCPs, resource policies and session policies are NOT evaluated.
# - for each action x resource: an explicit Deny wins, else an Allow, else
#   implicitDeny.
# - Action/NotAction match case-insensitively with * and ? wildcards;
#   Resource/NotResource match case-sensitively with * and ?; a statement
#   without Resource/NotResource matches every resource.
# - Conditions: a statement with a Condition matches only when every
#   condition key is given in ContextEntries and every operator is one of
#   StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringLike,
#   StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool (each
#   optionally ...IfExists, which then also matches a missing key). Any other
#   operator or a missing key makes the statement not match: an Allow does not
#   allow and a Deny does not deny.
# ---------------------------------------------------------------------------


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _wildcard(pattern, value, ignore_case):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _condition_matches(condition, context):
    operators = {
        "stringequals": lambda want, got: got == want,
        "stringnotequals": lambda want, got: got != want,
        "stringequalsignorecase": lambda want, got: got.lower() == want.lower(),
        "stringlike": lambda want, got: fnmatch.fnmatchcase(got, want),
        "stringnotlike": lambda want, got: not fnmatch.fnmatchcase(got, want),
        "arnequals": lambda want, got: got == want,
        "arnlike": lambda want, got: _wildcard(want, got, ignore_case=False),
        "arnnotequals": lambda want, got: got != want,
        "arnnotlike": lambda want, got: not _wildcard(want, got, ignore_case=False),
        "bool": lambda want, got: str(got).lower() == str(want).lower(),
    }
    negated = {"stringnotequals", "stringnotlike", "arnnotequals", "arnnotlike"}
    for operator, clauses in condition.items():
        name = operator.lower()
        if_exists = name.endswith("ifexists")
        name = name.removesuffix("ifexists")
        if name not in operators:
            return False
        for key, wanted in clauses.items():
            got = context.get(key.lower())
            if got is None:
                if if_exists:
                    continue
                return False
            wanted = [str(w) for w in _as_list(wanted)]
            test = operators[name]
            if name in negated:
                ok = all(all(test(w, g) for w in wanted) for g in got)
            else:
                ok = any(test(w, g) for w in wanted for g in got)
            if not ok:
                return False
    return True


def _statement_matches(statement, action, resource, context):
    if "Action" in statement:
        if not any(_wildcard(p, action, True) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_wildcard(p, action, True) for p in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(_wildcard(p, resource, False) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_wildcard(p, resource, False) for p in _as_list(statement["NotResource"])):
            return False
    if "Condition" in statement and not _condition_matches(statement["Condition"], context):
        return False
    return True


def _document(policy):
    """The default version's document of a managed policy, parsed."""
    version = next(v for v in policy.versions if v.is_default)
    doc = version.document
    return json.loads(doc) if isinstance(doc, str) else doc


def _principal_policies(backend, arn):
    """(policy id, policy type, document) for everything attached to a role or user."""
    kind = arn.split(":", 5)[-1].split("/", 1)[0]
    if kind == "role":
        principal, inline_type, groups = backend.get_role_by_arn(arn), "role", []
    elif kind == "user":
        principal = next((u for u in backend.users.values() if u.arn == arn), None)
        if principal is None:
            raise NoSuchEntity(f"User {arn} not found")
        inline_type, groups = "user", backend.get_groups_for_user(principal.name)
    else:
        raise InvalidInput(f"Unsupported principal {arn}: use a role or user ARN")
    found = []
    for owner, owner_type in [(principal, inline_type)] + [(g, "group") for g in groups]:
        for name, doc in owner.policies.items():
            found.append((name, owner_type, json.loads(doc) if isinstance(doc, str) else doc))
        for policy in owner.managed_policies.values():
            managed_type = "aws-managed" if ":aws:policy/" in policy.arn else "user-managed"
            found.append((policy.name, managed_type, _document(policy)))
    return found


def simulate(policies, actions, resources, context):
    results = []
    for action in actions:
        for resource in resources:
            allows, denies = [], []
            for policy_id, policy_type, doc in policies:
                for statement in _as_list(doc.get("Statement", [])):
                    if _statement_matches(statement, action, resource, context):
                        hit = {"SourcePolicyId": policy_id, "SourcePolicyType": policy_type}
                        (denies if statement.get("Effect") == "Deny" else allows).append(hit)
            decision = "explicitDeny" if denies else "allowed" if allows else "implicitDeny"
            results.append({
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decision,
                "MatchedStatements": denies or allows,
                "MissingContextValues": [],
            })
    return results


def simulate_principal_policy(self):
    arn = self._get_param("PolicySourceArn")
    policies = _principal_policies(self.backend, arn)
    for i, doc in enumerate(self._get_param("PolicyInputList", []) or []):
        policies.append((f"PolicyInputList.{i + 1}", "none", json.loads(doc)))
    context = {}
    for entry in self._get_param("ContextEntries", []) or []:
        context[entry["ContextKeyName"].lower()] = [str(v) for v in entry.get("ContextKeyValues", [])]
    resources = self._get_param("ResourceArns", []) or ["*"]
    results = simulate(policies, self._get_param("ActionNames", []), resources, context)
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


IamResponse.simulate_principal_policy = simulate_principal_policy


# ---------------------------------------------------------------------------
# g. EC2 networking features moto 5.2.1 does not know, as the EC2 API
# reference documents them. Everything takes effect at once (AWS passes
# through *-in-progress states first), like moto's NAT gateways.
# ---------------------------------------------------------------------------

from moto.ec2.exceptions import (  # noqa: E402
    EC2ClientError, InvalidAllocationIdError, InvalidParameterCombination, MissingParameterError,
)
from moto.ec2.models.nat_gateways import NatGateway  # noqa: E402
from moto.ec2.models.vpcs import VPC  # noqa: E402
from moto.ec2.responses import EC2Response  # noqa: E402
from moto.ec2.utils import add_tag_specification, random_id, random_public_ip  # noqa: E402
from moto.core.utils import utcnow  # noqa: E402


def _vpc_zones(backend, vpc_id):
    """The Availability Zones the VPC has subnets in, sorted."""
    return sorted({subnet.availability_zone for zone in backend.subnets.values()
                   for subnet in zone.values() if subnet.vpc_id == vpc_id})


def _zone_name(backend, address):
    """The zone name of an AvailabilityZoneAddress, given by name or by ID."""
    if address.get("AvailabilityZone"):
        return address["AvailabilityZone"]
    for zone in backend.describe_availability_zones():
        if zone.zone_id == address.get("AvailabilityZoneId"):
            return zone.name
    raise EC2ClientError("InvalidParameterValue",
                         f"Unknown Availability Zone {address.get('AvailabilityZoneId')}")


# g1. Regional NAT gateways.
# Gap: CreateNatGateway requires a SubnetId and ignores AvailabilityMode,
# VpcId and AvailabilityZoneAddresses; DescribeNatGateways has no
# AvailabilityMode, AutoProvisionZones or per-zone addresses.
# API reference (CreateNatGateway, NatGateway, NatGatewayAddress): a regional
# NAT gateway is created in a VPC, not a subnet. Without
# AvailabilityZoneAddresses it manages its zones itself (autoProvisionZones
# enabled: an address in every zone where the VPC has subnets, expanding to
# new zones and retracting from emptied ones); with them the zones are managed
# by hand (disabled). Each address names the zone it serves.

NatGateway.availability_mode = "zonal"


class RegionalNatGateway(NatGateway):
    """A NAT gateway with AvailabilityMode regional: a VPC, no subnet, one address per zone."""

    __module__ = "moto.ec2.models.nat_gateways"  # moto's model registry keys models by module

    def __init__(self, backend, vpc_id, zone_allocations, tags):
        self.id = random_id(prefix="nat")
        self.ec2_backend = backend
        self.vpc_id = vpc_id
        self.subnet_id = None
        self.state = "available"
        self.connectivity_type = "public"
        self.availability_mode = "regional"
        self._created_at = utcnow()
        # zone -> allocation IDs in manual mode; None: AWS picks the zones.
        self._zone_allocations = zone_allocations
        self.auto_provision_zones = "enabled" if zone_allocations is None else "disabled"
        self._automatic_ips = {}  # zone -> public IP of an AWS-managed address
        self.address_set = []
        self.add_tags(tags or {})

    @property
    def nat_gateway_addresses(self):
        if self._zone_allocations is None:
            return [self._address(zone, None) for zone in _vpc_zones(self.ec2_backend, self.vpc_id)]
        return [self._address(zone, allocation)
                for zone, allocations in self._zone_allocations.items() for allocation in allocations]

    def _address(self, zone, allocation_id):
        address = {"AvailabilityZone": zone, "Status": "succeeded", "IsPrimary": True}
        if allocation_id is None:
            address["PublicIp"] = self._automatic_ips.setdefault(zone, random_public_ip())
        else:
            address["AllocationId"] = allocation_id
            try:
                address["PublicIp"] = self.ec2_backend.address_by_allocation([allocation_id])[0].public_ip
            except InvalidAllocationIdError:  # released after the NAT gateway was deleted
                pass
        return address


_original_create_nat_gateway = EC2Response.create_nat_gateway


def create_nat_gateway(self):
    if self._get_param("AvailabilityMode") != "regional":
        return _original_create_nat_gateway(self)
    vpc_id = self._get_param("VpcId")
    if not vpc_id:
        raise MissingParameterError("VpcId")
    if self._get_param("SubnetId"):
        raise InvalidParameterCombination("A regional NAT gateway takes a VpcId, not a SubnetId")
    if self._get_param("ConnectivityType") == "private":
        raise InvalidParameterCombination("Regional NAT gateways support public connectivity only")
    self.ec2_backend.get_vpc(vpc_id)  # InvalidVpcID.NotFound
    zone_allocations = None
    addresses = self._get_param("AvailabilityZoneAddresses") or []
    if addresses:
        zone_allocations = {}
        for address in addresses:
            allocations = address.get("AllocationIds") or []
            if allocations:
                self.ec2_backend.address_by_allocation(allocations)  # InvalidAllocationID.NotFound
            zone_allocations.setdefault(_zone_name(self.ec2_backend, address), []).extend(allocations)
    tags = add_tag_specification(self._get_param("TagSpecifications", []))
    nat = RegionalNatGateway(self.ec2_backend, vpc_id, zone_allocations, tags)
    self.ec2_backend.nat_gateways[nat.id] = nat
    return ActionResult({"NatGateway": nat, "ClientToken": self._get_param("ClientToken")})


EC2Response.create_nat_gateway = create_nat_gateway


# g2. VPC Block Public Access (account level, per Region).
# Gap: none of the *VpcBlockPublicAccess* operations exist (HTTP 500), and
# DescribeVpcs has no BlockPublicAccessStates.
# API reference: DescribeVpcBlockPublicAccessOptions answers the account's
# InternetGatewayBlockMode in the Region (off until modified, state
# default-state); exclusions exempt one VPC or one subnet (allow-bidirectional
# or allow-egress), can be made while BPA is off, are named by the VPC's or
# subnet's ARN, and DescribeVpcBlockPublicAccessExclusions filters them by
# resource-arn, internet-gateway-exclusion-mode, state and tags. A deleted
# exclusion stays listed as delete-complete.
# Vpc.BlockPublicAccessStates: "the mode of VPC BPA" in the Region.


def _bpa(backend):
    if not hasattr(backend, "vpcmedic_bpa"):
        backend.vpcmedic_bpa = {"mode": "off", "state": "default-state", "updated": None, "exclusions": {}}
    return backend.vpcmedic_bpa


def _bpa_options(backend):
    bpa = _bpa(backend)
    return {"AwsAccountId": backend.account_id, "AwsRegion": backend.region_name, "State": bpa["state"],
            "InternetGatewayBlockMode": bpa["mode"], "LastUpdateTimestamp": bpa["updated"],
            "ManagedBy": "account", "ExclusionsAllowed": "allowed"}


def describe_vpc_block_public_access_options(self):
    self.error_on_dryrun()
    return ActionResult({"VpcBlockPublicAccessOptions": _bpa_options(self.ec2_backend)})


def modify_vpc_block_public_access_options(self):
    mode = self._get_param("InternetGatewayBlockMode")
    if mode not in ("off", "block-bidirectional", "block-ingress"):
        raise EC2ClientError("InvalidParameterValue", f"Invalid InternetGatewayBlockMode {mode}")
    bpa = _bpa(self.ec2_backend)
    bpa.update(mode=mode, state="update-complete", updated=utcnow())
    return ActionResult({"VpcBlockPublicAccessOptions": _bpa_options(self.ec2_backend)})


def _exclusion_mode(self):
    mode = self._get_param("InternetGatewayExclusionMode")
    if mode not in ("allow-bidirectional", "allow-egress"):
        raise EC2ClientError("InvalidParameterValue", f"Invalid InternetGatewayExclusionMode {mode}")
    return mode


def _exclusion(backend, exclusion_id):
    exclusion = _bpa(backend)["exclusions"].get(exclusion_id)
    if exclusion is None or exclusion["State"] == "delete-complete":
        raise EC2ClientError("InvalidVpcBlockPublicAccessExclusionId.NotFound",
                             f"The exclusion ID '{exclusion_id}' does not exist")
    return exclusion


def create_vpc_block_public_access_exclusion(self):
    backend = self.ec2_backend
    vpc_id, subnet_id = self._get_param("VpcId"), self._get_param("SubnetId")
    if bool(vpc_id) == bool(subnet_id):
        raise InvalidParameterCombination("Specify either a VpcId or a SubnetId")
    if vpc_id:
        backend.get_vpc(vpc_id)  # InvalidVpcID.NotFound
        resource = f"vpc/{vpc_id}"
    else:
        backend.get_subnet(subnet_id)  # InvalidSubnetID.NotFound
        resource = f"subnet/{subnet_id}"
    now = utcnow()
    tags = add_tag_specification(self._get_param("TagSpecifications", []))
    exclusion = {
        "ExclusionId": random_id(prefix="exclusion"),
        "InternetGatewayExclusionMode": _exclusion_mode(self),
        "ResourceArn": f"arn:aws:ec2:{backend.region_name}:{backend.account_id}:{resource}",
        "State": "create-complete",
        "CreationTimestamp": now,
        "LastUpdateTimestamp": now,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    _bpa(backend)["exclusions"][exclusion["ExclusionId"]] = exclusion
    return ActionResult({"VpcBlockPublicAccessExclusion": exclusion})


def modify_vpc_block_public_access_exclusion(self):
    exclusion = _exclusion(self.ec2_backend, self._get_param("ExclusionId"))
    exclusion.update(InternetGatewayExclusionMode=_exclusion_mode(self), State="update-complete",
                     LastUpdateTimestamp=utcnow())
    return ActionResult({"VpcBlockPublicAccessExclusion": exclusion})


def delete_vpc_block_public_access_exclusion(self):
    exclusion = _exclusion(self.ec2_backend, self._get_param("ExclusionId"))
    exclusion.update(State="delete-complete", DeletionTimestamp=utcnow())
    return ActionResult({"VpcBlockPublicAccessExclusion": exclusion})


def _exclusion_matches(exclusion, filters):
    tags = {t["Key"]: t["Value"] for t in exclusion["Tags"]}
    for name, values in filters.items():
        if name == "resource-arn":
            got = [exclusion["ResourceArn"]]
        elif name == "internet-gateway-exclusion-mode":
            got = [exclusion["InternetGatewayExclusionMode"]]
        elif name == "state":
            got = [exclusion["State"]]
        elif name.startswith("tag:"):
            got = [tags[name[4:]]] if name[4:] in tags else []
        elif name == "tag-key":
            got = list(tags)
        elif name == "tag-value":
            got = list(tags.values())
        else:
            raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if not set(got) & set(values):
            return False
    return True


def describe_vpc_block_public_access_exclusions(self):
    self.error_on_dryrun()
    ids = self._get_param("ExclusionIds", [])
    filters = self._filters_from_querystring()
    found = [e for e in _bpa(self.ec2_backend)["exclusions"].values()
             if (not ids or e["ExclusionId"] in ids) and _exclusion_matches(e, filters)]
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or 1000)
    token = str(start + size) if start + size < len(found) else None
    return ActionResult({"VpcBlockPublicAccessExclusions": found[start:start + size], "NextToken": token})


def vpc_block_public_access_states(self):
    return {"InternetGatewayBlockMode": _bpa(self.ec2_backend)["mode"]}


for _operation in (describe_vpc_block_public_access_options, modify_vpc_block_public_access_options,
                   create_vpc_block_public_access_exclusion, modify_vpc_block_public_access_exclusion,
                   delete_vpc_block_public_access_exclusion, describe_vpc_block_public_access_exclusions):
    setattr(EC2Response, _operation.__name__, _operation)
VPC.block_public_access_states = property(vpc_block_public_access_states)


# g3. VPC encryption controls.
# Gap: Create/Modify/Describe/DeleteVpcEncryptionControl(s) do not exist
# (HTTP 500) and DescribeVpcs has no EncryptionControl.
# API reference: CreateVpcEncryptionControl takes only the VPC (the control
# starts in monitor mode); ModifyVpcEncryptionControl sets Mode
# (monitor/enforce) and each exclusion (enable/disable, reported as
# enabled/disabled in ResourceExclusions); Vpc.EncryptionControl carries it.

_EXCLUSION_PARAMS = {
    "InternetGatewayExclusion": "InternetGateway",
    "EgressOnlyInternetGatewayExclusion": "EgressOnlyInternetGateway",
    "NatGatewayExclusion": "NatGateway",
    "VirtualPrivateGatewayExclusion": "VirtualPrivateGateway",
    "VpcPeeringExclusion": "VpcPeering",
    "LambdaExclusion": "Lambda",
    "VpcLatticeExclusion": "VpcLattice",
    "ElasticFileSystemExclusion": "ElasticFileSystem",
}


def _encryption_controls(backend):
    if not hasattr(backend, "vpcmedic_encryption_controls"):
        backend.vpcmedic_encryption_controls = {}  # by VpcEncryptionControlId
    return backend.vpcmedic_encryption_controls


def _encryption_control(backend, control_id):
    control = _encryption_controls(backend).get(control_id)
    if control is None or control["State"] == "deleted":
        raise EC2ClientError("InvalidVpcEncryptionControlId.NotFound",
                             f"The VPC encryption control ID '{control_id}' does not exist")
    return control


def create_vpc_encryption_control(self):
    backend = self.ec2_backend
    vpc_id = self._get_param("VpcId")
    backend.get_vpc(vpc_id)  # InvalidVpcID.NotFound
    if any(c["VpcId"] == vpc_id and c["State"] != "deleted" for c in _encryption_controls(backend).values()):
        raise EC2ClientError("InvalidParameterValue", f"VPC {vpc_id} already has an encryption control")
    tags = add_tag_specification(self._get_param("TagSpecifications", []))
    control = {"VpcId": vpc_id, "VpcEncryptionControlId": random_id(prefix="vpcec"), "Mode": "monitor",
               "State": "available", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    _encryption_controls(backend)[control["VpcEncryptionControlId"]] = control
    return ActionResult({"VpcEncryptionControl": control})


def modify_vpc_encryption_control(self):
    control = _encryption_control(self.ec2_backend, self._get_param("VpcEncryptionControlId"))
    mode = self._get_param("Mode")
    if mode:
        if mode not in ("monitor", "enforce"):
            raise EC2ClientError("InvalidParameterValue", f"Invalid Mode {mode}")
        control["Mode"] = mode
    for param, kind in _EXCLUSION_PARAMS.items():
        value = self._get_param(param)
        if value:
            if value not in ("enable", "disable"):
                raise EC2ClientError("InvalidParameterValue", f"Invalid {param} {value}")
            control.setdefault("ResourceExclusions", {})[kind] = {"State": value + "d"}
    return ActionResult({"VpcEncryptionControl": control})


def delete_vpc_encryption_control(self):
    control = _encryption_control(self.ec2_backend, self._get_param("VpcEncryptionControlId"))
    control["State"] = "deleted"
    return ActionResult({"VpcEncryptionControl": control})


def describe_vpc_encryption_controls(self):
    self.error_on_dryrun()
    ids = self._get_param("VpcEncryptionControlIds", [])
    vpcs = self._get_param("VpcIds", [])
    found = [c for c in _encryption_controls(self.ec2_backend).values()
             if (not ids or c["VpcEncryptionControlId"] in ids) and (not vpcs or c["VpcId"] in vpcs)]
    return ActionResult({"VpcEncryptionControls": found})


def vpc_encryption_control(self):
    for control in _encryption_controls(self.ec2_backend).values():
        if control["VpcId"] == self.id and control["State"] != "deleted":
            return control
    return None


for _operation in (create_vpc_encryption_control, modify_vpc_encryption_control,
                   delete_vpc_encryption_control, describe_vpc_encryption_controls):
    setattr(EC2Response, _operation.__name__, _operation)
VPC.encryption_control = property(vpc_encryption_control)


# g4. VPC endpoint DNS options.
# Gap: CreateVpcEndpoint and ModifyVpcEndpoint drop DnsOptions, so
# DescribeVpcEndpoints never reports PrivateDnsOnlyForInboundResolverEndpoint.
# API reference (DnsOptionsSpecification): the option exists for services with
# both gateway and interface endpoints (S3): the VPC's own traffic then uses
# the gateway endpoint, on-premises traffic the interface endpoint.

_original_create_vpc_endpoint = EC2Response.create_vpc_endpoint
_original_modify_vpc_endpoint = EC2Response.modify_vpc_endpoint


def _set_dns_options(endpoint, spec):
    options = dict(getattr(endpoint, "dns_options", None) or {"DnsRecordIpType": "ipv4"})
    for key in ("DnsRecordIpType", "PrivateDnsOnlyForInboundResolverEndpoint"):
        if spec.get(key) is not None:
            options[key] = spec[key]
    if isinstance(options.get("PrivateDnsOnlyForInboundResolverEndpoint"), str):
        options["PrivateDnsOnlyForInboundResolverEndpoint"] = (
            options["PrivateDnsOnlyForInboundResolverEndpoint"].lower() == "true")
    endpoint.dns_options = options


def create_vpc_endpoint(self):
    result = _original_create_vpc_endpoint(self)
    endpoint = result.result["VpcEndpoint"]
    if (endpoint.vpc_endpoint_type or "").lower() == "interface":
        _set_dns_options(endpoint, self._get_param("DnsOptions") or {})
    return result


def modify_vpc_endpoint(self):
    result = _original_modify_vpc_endpoint(self)
    spec = self._get_param("DnsOptions")
    if spec:
        endpoint = self.ec2_backend.describe_vpc_endpoints(
            vpc_end_point_ids=[self._get_param("VpcEndpointId")], filters=None)[0]
        _set_dns_options(endpoint, spec)
    return result


EC2Response.create_vpc_endpoint = create_vpc_endpoint
EC2Response.modify_vpc_endpoint = modify_vpc_endpoint


# g5. VPC endpoint idempotency and private DNS conflicts.
# Gaps: moto creates a new endpoint on every CreateVpcEndpoint whatever its
# ClientToken, lets two interface endpoints of one service in one VPC both
# have private DNS, and ignores PrivateDnsEnabled in ModifyVpcEndpoint.
# API reference (CreateVpcEndpoint ClientToken; EC2 "Ensuring idempotency"):
# a request repeated with the same client token and parameters returns the
# first result and creates nothing; the same token with other parameters fails
# with IdempotentParameterMismatch. EC2 associates one private hosted zone for
# the service's DNS name with the VPC, so private DNS on a second endpoint of
# the service fails with InvalidParameter ("private-dns-enabled cannot be set
# because there is already a conflicting DNS domain for <name> in the VPC
# <vpc>"), on create and on modify alike.

_GONE_ENDPOINT_STATES = ("deleting", "deleted", "failed", "rejected", "expired")


def _endpoint_tokens(backend):
    if not hasattr(backend, "_vpcmedic_endpoint_tokens"):
        backend._vpcmedic_endpoint_tokens = {}
    return backend._vpcmedic_endpoint_tokens


def _service_dns_name(service_name):
    # com.amazonaws.<region>.<service> -> <service>.<region>.amazonaws.com
    parts = service_name.split(".")
    if len(parts) < 4 or parts[:2] != ["com", "amazonaws"]:
        return service_name
    return ".".join(parts[3:] + [parts[2], "amazonaws.com"])


def _refuse_second_private_dns(backend, vpc_id, service_name, except_id=None):
    for e in backend.describe_vpc_endpoints(vpc_end_point_ids=None, filters=None):
        if (e.vpc_id == vpc_id and e.service_name == service_name and e.id != except_id
                and (e.vpc_endpoint_type or "").lower() == "interface" and e.private_dns_enabled
                and (e.state or "").lower() not in _GONE_ENDPOINT_STATES):
            raise EC2ClientError(
                "InvalidParameter",
                f"private-dns-enabled cannot be set because there is already a conflicting DNS "
                f"domain for {_service_dns_name(service_name)} in the VPC {vpc_id}")


_dns_options_create_vpc_endpoint = EC2Response.create_vpc_endpoint
_dns_options_modify_vpc_endpoint = EC2Response.modify_vpc_endpoint


def idempotent_create_vpc_endpoint(self):
    token = self._get_param("ClientToken")
    request = sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in self.querystring.items()
                     if k not in ("Action", "Version", "ClientToken"))
    tokens = _endpoint_tokens(self.ec2_backend)
    if token and token in tokens:
        first_request, endpoint_id = tokens[token]
        if first_request != request:
            raise EC2ClientError("IdempotentParameterMismatch",
                                 f"The client token {token} was used with different parameters")
        endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[endpoint_id], filters=None)[0]
        return ActionResult({"VpcEndpoint": endpoint, "ClientToken": token})
    interface = (self._get_param("VpcEndpointType") or "").lower() == "interface"
    if interface and self._get_bool_param("PrivateDnsEnabled", if_none=True):
        _refuse_second_private_dns(self.ec2_backend, self._get_param("VpcId"), self._get_param("ServiceName"))
    result = _dns_options_create_vpc_endpoint(self)
    if token:
        tokens[token] = (request, result.result["VpcEndpoint"].id)
        result.result["ClientToken"] = token
    return result


def private_dns_modify_vpc_endpoint(self):
    enable = self._get_bool_param("PrivateDnsEnabled")
    endpoint = None
    if enable is not None:
        endpoint = self.ec2_backend.describe_vpc_endpoints(
            vpc_end_point_ids=[self._get_param("VpcEndpointId")], filters=None)[0]
        if enable and not endpoint.private_dns_enabled:
            _refuse_second_private_dns(self.ec2_backend, endpoint.vpc_id, endpoint.service_name, except_id=endpoint.id)
    result = _dns_options_modify_vpc_endpoint(self)
    if endpoint is not None:
        endpoint.private_dns_enabled = enable
    return result


EC2Response.create_vpc_endpoint = idempotent_create_vpc_endpoint
EC2Response.modify_vpc_endpoint = private_dns_modify_vpc_endpoint


# ---------------------------------------------------------------------------
# Speed: every IAM backend (one per partition, re-created on each reset and on
# the first request after it) re-parses the ~1,300 AWS managed policies: about
# 0.2 s each, 2 s per reset. Parse them once and load them in the aws
# partition only, the one the emulator's account lives in.
# ---------------------------------------------------------------------------

_managed_policies = []


def init_aws_policies(self):
    if self.partition != "aws":
        return []
    if not _managed_policies:
        for name, data in json.loads(aws_managed_policies_data).items():
            _managed_policies.append((name, data, json.dumps(data.get("Document"))))
    return [
        AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name,
                         default_version_id=data.get("DefaultVersionId"), path=data.get("Path"),
                         document=document, create_date=datetime.fromisoformat(data["CreateDate"]),
                         update_date=datetime.fromisoformat(data["UpdateDate"]))
        for name, data, document in _managed_policies
    ]


IAMBackend._init_aws_policies = init_aws_policies


# ---------------------------------------------------------------------------
# f. Lambda: function state, with a test-only override
# (POST /_vpcmedic/function-state).
# Gap: a function is always State Active and LastUpdateStatus Successful, with
# no reason, so a failed function cannot be produced; ListFunctions returns
# State and LastUpdateStatus, which AWS leaves out of it (only GetFunction and
# GetFunctionConfiguration carry them).
# ---------------------------------------------------------------------------

FUNCTION_STATE_FIELDS = ("State", "StateReason", "StateReasonCode",
                         "LastUpdateStatus", "LastUpdateStatusReason", "LastUpdateStatusReasonCode")

_original_function_configuration = lambda_models.LambdaFunction.get_configuration
_original_list_functions = LambdaResponse.list_functions


def function_configuration(self, *args, **kwargs):
    config = _original_function_configuration(self, *args, **kwargs)
    config.update(getattr(self, "vpcmedic_state", {}))
    return config


def list_functions(self):
    listing = json.loads(_original_list_functions(self))
    for config in listing.get("Functions", []):
        for field in FUNCTION_STATE_FIELDS:
            config.pop(field, None)
    return json.dumps(listing)


lambda_models.LambdaFunction.get_configuration = function_configuration
LambdaResponse.list_functions = list_functions


def set_function_state(body):
    """Set a function's State, LastUpdateStatus and their reasons, in any account and region."""
    state = {field: body.get(field[0].lower() + field[1:]) for field in FUNCTION_STATE_FIELDS}
    state = {k: v for k, v in state.items() if v}
    for account in list(lambda_backends.values()):
        for backend in list(account.values()):
            try:
                fn = backend.get_function(body.get("functionName", ""))
            except UnknownFunctionException:
                continue
            fn.vpcmedic_state = state
            return True
    return False


def function_state_route(environ, start_response):
    request = Request(environ)
    try:
        found = set_function_state(json.loads(request.get_data() or b"{}"))
    except ValueError as err:
        return Response(f"bad request: {err}\n", status=400)(environ, start_response)
    if not found:
        return Response("function not found\n", status=404)(environ, start_response)
    return Response("", status=204)(environ, start_response)


# ---------------------------------------------------------------------------
# h. MSK managed VPC connections (multi-VPC private connectivity), with a
# test-only seed (POST /_vpcmedic/vpc-connection).
# Gap: moto 5.2.1 has none of CreateVpcConnection, DescribeVpcConnection,
# DeleteVpcConnection or RejectClientVpcConnection (HTTP 500/404).
# API reference: the client account creates the connection
# (POST /v1/vpc-connection: targetClusterArn, authentication, vpcId,
# clientSubnets, securityGroups, tags) and owns it; its ARN is
# arn:aws:kafka:REGION:CLIENT:vpc-connection/OWNER/CLUSTER-NAME/UUID.
# DescribeVpcConnection (GET /v1/vpc-connection/{arn}) answers
# vpcConnectionArn, targetClusterArn, state, authentication, vpcId, subnets,
# securityGroups, creationTime and tags, or NotFoundException (404).
# DeleteVpcConnection (DELETE, same path) answers the ARN and state DELETING
# (here the connection is gone at once). The cluster owner's
# RejectClientVpcConnection (PUT /v1/clusters/{clusterArn}/client-vpc-connection,
# body vpcConnectionArn) needs an AVAILABLE connection and leaves it REJECTED.
# States: CREATING AVAILABLE INACTIVE DEACTIVATING DELETING FAILED REJECTED
# REJECTING. A new connection is AVAILABLE at once (like NAT gateways).
# ---------------------------------------------------------------------------

import uuid as _uuid  # noqa: E402

from moto.kafka import urls as kafka_urls  # noqa: E402

VPC_CONNECTION_STATES = ("CREATING", "AVAILABLE", "INACTIVE", "DEACTIVATING", "DELETING", "FAILED",
                         "REJECTED", "REJECTING")

kafka_urls.url_paths["{0}/v1/vpc-connection$"] = KafkaResponse.dispatch
kafka_urls.url_paths["{0}/v1/vpc-connection/(?P<arn>.+)$"] = KafkaResponse.dispatch


def _vpc_connections(backend):
    if not hasattr(backend, "vpcmedic_connections"):
        backend.vpcmedic_connections = {}
    return backend.vpcmedic_connections


def _all_kafka_backends():
    from moto.kafka.models import kafka_backends
    for account in list(kafka_backends.values()):
        for backend in list(account.values()):
            yield backend


def _store_vpc_connection(backend, arn, body):
    state = body.get("state") or "AVAILABLE"
    if state not in VPC_CONNECTION_STATES:
        raise kafka_exceptions.BadRequestException(f"state {state} is not a VpcConnectionState")
    connection = {
        "vpcConnectionArn": arn,
        "targetClusterArn": body.get("targetClusterArn", ""),
        "state": state,
        "authentication": body.get("authentication", ""),
        "vpcId": body.get("vpcId", ""),
        "subnets": list(body.get("clientSubnets") or []),
        "securityGroups": list(body.get("securityGroups") or []),
        "creationTime": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "tags": dict(body.get("tags") or {}),
    }
    _vpc_connections(backend)[arn] = connection
    return connection


def _vpc_connection(backend, arn):
    connection = _vpc_connections(backend).get(arn)
    if connection is None:
        raise kafka_exceptions.NotFoundException(f"VPC connection {arn} does not exist.")
    return connection


def _path_arn(response, marker):
    return unquote(response.parsed_url.path.split(marker, 1)[-1])


def create_vpc_connection_response(self):
    body = json.loads(self.body or "{}")
    body.pop("state", None)
    cluster = body.get("targetClusterArn", "")
    match = re.match(r"^arn:[\w-]+:kafka:[\w-]+:(\d+):cluster/([^/]+)/", cluster)
    if not match:
        raise kafka_exceptions.BadRequestException(f"targetClusterArn {cluster!r} is not a cluster ARN")
    backend = self.kafka_backend
    arn = (f"arn:aws:kafka:{backend.region_name}:{backend.account_id}:vpc-connection/"
           f"{match.group(1)}/{match.group(2)}/{_uuid.uuid4()}-{len(_vpc_connections(backend)) + 1}")
    c = _store_vpc_connection(backend, arn, body)
    return json.dumps({"vpcConnectionArn": arn, "state": c["state"], "authentication": c["authentication"],
                       "vpcId": c["vpcId"], "clientSubnets": c["subnets"], "securityGroups": c["securityGroups"],
                       "creationTime": c["creationTime"], "tags": c["tags"]})


def describe_vpc_connection_response(self):
    return json.dumps(_vpc_connection(self.kafka_backend, _path_arn(self, "/vpc-connection/")))


def delete_vpc_connection_response(self):
    arn = _path_arn(self, "/vpc-connection/")
    _vpc_connection(self.kafka_backend, arn)
    del _vpc_connections(self.kafka_backend)[arn]
    return json.dumps({"vpcConnectionArn": arn, "state": "DELETING"})


def reject_client_vpc_connection_response(self):
    cluster = _path_arn(self, "/clusters/").removesuffix("/client-vpc-connection")
    arn = json.loads(self.body or "{}").get("vpcConnectionArn", "")
    # The connection lives in the client account: look in every one.
    for backend in _all_kafka_backends():
        connection = _vpc_connections(backend).get(arn)
        if connection is None or connection["targetClusterArn"] != cluster:
            continue
        if connection["state"] != "AVAILABLE":
            raise kafka_exceptions.BadRequestException(f"VPC connection {arn} is {connection['state']}, not AVAILABLE")
        connection["state"] = "REJECTED"
        return "{}"
    raise kafka_exceptions.NotFoundException(f"VPC connection {arn} of cluster {cluster} does not exist.")


KafkaResponse.create_vpc_connection = create_vpc_connection_response
KafkaResponse.describe_vpc_connection = describe_vpc_connection_response
KafkaResponse.delete_vpc_connection = delete_vpc_connection_response
KafkaResponse.reject_client_vpc_connection = reject_client_vpc_connection_response


def seed_vpc_connection(body):
    """Place a connection with a given ARN (and state) in the account and Region its ARN names.

    Fixtures replaying recorded events need the recorded ARN, which
    CreateVpcConnection would generate afresh.
    """
    from moto.kafka.models import kafka_backends
    arn = body.get("vpcConnectionArn", "")
    match = re.match(r"^arn:[\w-]+:kafka:([\w-]+):(\d+):vpc-connection/\d+/[^/]+/[^/]+$", arn)
    if not match:
        raise ValueError(f"{arn!r} is not a VPC connection ARN")
    _store_vpc_connection(kafka_backends[match.group(2)][match.group(1)], arn, body)


def vpc_connection_route(environ, start_response):
    request = Request(environ)
    try:
        seed_vpc_connection(json.loads(request.get_data() or b"{}"))
    except (ValueError, kafka_exceptions.BadRequestException) as err:
        return Response(f"bad request: {err}\n", status=400)(environ, start_response)
    return Response("", status=204)(environ, start_response)


# ---------------------------------------------------------------------------
# i. Lambda: ListEventSourceMappings by function.
# Gap: the FunctionName filter compares the string given with the one the
# mapping was created with, so a mapping created with the function's name is
# not listed for its ARN, nor the reverse.
# API reference (ListEventSourceMappings, FunctionName): the function name,
# its ARN, a version or alias ARN, or a partial ARN (ACCOUNT:function:NAME)
# all name the function; the mappings listed are those whose FunctionArn is
# the function (or version or alias) named.
# ---------------------------------------------------------------------------


_original_list_esms = LambdaBackend.list_event_source_mappings


def _function_arn_named(backend, name):
    if name.startswith("arn:"):
        return name
    if ":function:" in name:
        return f"arn:aws:lambda:{backend.region_name}:{name}"
    return f"arn:aws:lambda:{backend.region_name}:{backend.account_id}:function:{name}"


def list_event_source_mappings_by_function(self, event_source_arn, function_name):
    esms = _original_list_esms(self, event_source_arn, None)
    if not function_name:
        return esms
    wanted = _function_arn_named(self, function_name)
    return [esm for esm in esms if esm.function_arn == wanted]


LambdaBackend.list_event_source_mappings = list_event_source_mappings_by_function


# Gap: a FunctionEventInvokeConfig's LastModified is an ISO 8601 string, which
# the SDKs cannot read in ListFunctionEventInvokeConfigs.
# API reference (FunctionEventInvokeConfig): LastModified is a timestamp,
# sent by the REST-JSON protocol as epoch seconds.
_original_invoke_config_response = lambda_models.EventInvokeConfig.response


def invoke_config_response(self):
    response = _original_invoke_config_response(self)
    modified = response.get("LastModified")
    if isinstance(modified, str):
        # moto writes nanoseconds; datetime reads up to microseconds.
        iso = re.sub(r"(\.\d{6})\d*", r"\1", modified).replace("Z", "+00:00")
        response["LastModified"] = datetime.fromisoformat(iso).timestamp()
    return response


lambda_models.EventInvokeConfig.response = invoke_config_response


# Gap: CreateFunction and UpdateFunctionConfiguration drop DeadLetterConfig,
# and the function's configuration has none.
# API reference (FunctionConfiguration, DeadLetterConfig): the configuration
# carries the DeadLetterConfig set (TargetArn: an SQS queue or SNS topic); an
# empty TargetArn removes it.
_original_function_init = lambda_models.LambdaFunction.__init__
_original_update_configuration = lambda_models.LambdaFunction.update_configuration
_configuration_with_state = lambda_models.LambdaFunction.get_configuration


def function_init(self, account_id, spec, *args, **kwargs):
    _original_function_init(self, account_id, spec, *args, **kwargs)
    self.vpcmedic_dead_letter = spec.get("DeadLetterConfig")


def update_configuration(self, config_updates):
    if "DeadLetterConfig" in config_updates:
        self.vpcmedic_dead_letter = config_updates["DeadLetterConfig"]
    return _original_update_configuration(self, config_updates)


def function_configuration_with_dead_letter(self, *args, **kwargs):
    config = _configuration_with_state(self, *args, **kwargs)
    dead_letter = getattr(self, "vpcmedic_dead_letter", None)
    if dead_letter and dead_letter.get("TargetArn"):
        config["DeadLetterConfig"] = {"TargetArn": dead_letter["TargetArn"]}
    return config


lambda_models.LambdaFunction.__init__ = function_init
lambda_models.LambdaFunction.update_configuration = update_configuration
lambda_models.LambdaFunction.get_configuration = function_configuration_with_dead_letter


# ---------------------------------------------------------------------------
# j. RDS: DocumentDB clusters.
# Gap: CreateDBCluster refuses Engine "docdb" (its engine list is Aurora,
# MySQL, PostgreSQL and Neptune), so a DocumentDB cluster cannot be created.
# API reference (DocumentDB CreateDBCluster, DBCluster): Engine docdb, Port
# defaults to 27017; the cluster has VpcSecurityGroups and a DBSubnetGroup,
# and the DocumentDB and RDS APIs read the same clusters (DescribeDBClusters).
# Amazon MQ needs no patch: DescribeBroker answers SubnetIds, SecurityGroups
# and BrokerInstances[].Endpoints (ssl://...:61617 for ActiveMQ,
# amqps://...:5671 for RabbitMQ) as the Amazon MQ REST API reference does.
# ---------------------------------------------------------------------------

from moto.rds import models as rds_models  # noqa: E402
from moto.rds.utils import ClusterEngine  # noqa: E402

_original_cluster_engines = ClusterEngine.list_cluster_engines.__func__
ClusterEngine.list_cluster_engines = classmethod(lambda cls: sorted(_original_cluster_engines(cls) + ["docdb"]))


def _with_docdb(original, docdb_value):
    def wrapped(engine, *args, **kwargs):
        if engine == "docdb":
            return docdb_value
        return original(engine, *args, **kwargs)

    return staticmethod(wrapped)


rds_models.DBCluster.default_engine_version = _with_docdb(rds_models.DBCluster.default_engine_version, "5.0.0")
rds_models.DBCluster.default_port = _with_docdb(rds_models.DBCluster.default_port, 27017)
rds_models.DBCluster.default_allocated_storage = _with_docdb(rds_models.DBCluster.default_allocated_storage, 1)


# ---------------------------------------------------------------------------
# k. Lambda Managed Instances: capacity providers, and the functions on them.
# Gap: moto 5.2.1 has none of CreateCapacityProvider, GetCapacityProvider or
# ListCapacityProviders (no route under /2025-11-30/capacity-providers), and
# CreateFunction drops CapacityProviderConfig, so no function reports one.
# API reference (CreateCapacityProvider, POST /2025-11-30/capacity-providers):
# CapacityProviderName, VpcConfig {SubnetIds, SecurityGroupIds} and
# PermissionsConfig {CapacityProviderOperatorRoleArn} are required
# (InvalidParameterValueException), a name already used is a
# ResourceConflictException; the answer is {"CapacityProvider": {...}}.
# GetCapacityProvider (GET /2025-11-30/capacity-providers/{CapacityProviderName},
# the name or the ARN arn:aws:lambda:REGION:ACCOUNT:capacity-provider:NAME)
# answers {"CapacityProvider": {...}} or ResourceNotFoundException (404).
# ListCapacityProviders (GET /2025-11-30/capacity-providers?Marker&MaxItems&State,
# MaxItems 1 to 50) answers {"CapacityProviders": [...], "NextMarker"}.
# CapacityProvider: CapacityProviderArn, State (Pending | Active | Failed |
# Deleting), VpcConfig, PermissionsConfig, and the optional
# CapacityProviderScalingConfig, InstanceRequirements, KmsKeyArn, LastModified.
# FunctionConfiguration carries CapacityProviderConfig
# {LambdaManagedInstancesCapacityProviderConfig {CapacityProviderArn, ...}}.
# A new provider is Active at once (AWS starts it Pending). CreateFunction does
# not check that the provider exists (the reference names no error for it), so
# a function whose provider is gone can be emulated.
# ---------------------------------------------------------------------------

CAPACITY_PROVIDERS_PATH = "/2025-11-30/capacity-providers"
CAPACITY_PROVIDER_STATES = ("Pending", "Active", "Failed", "Deleting")
CAPACITY_PROVIDER_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,140}$")
CAPACITY_PROVIDER_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:([a-zA-Z0-9-_]+)$")


def _lambda_error(error_type, message, status):
    body = json.dumps({"Type": "User", "Message": message, "message": message})
    return Response(body, status=status, content_type="application/json",
                    headers={"x-amzn-ErrorType": error_type})


def _signed_scope(environ):
    """The account and region of a SigV4-signed request, as moto derives them."""
    from moto.iam.models import get_account_id_from
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/", auth)
    if not match:
        return "123456789012", "us-east-1"
    return get_account_id_from(match.group(1)), match.group(2)


def _capacity_providers(account, region):
    backend = lambda_backends[account][region]
    if not hasattr(backend, "vpcmedic_capacity_providers"):
        backend.vpcmedic_capacity_providers = {}
    return backend.vpcmedic_capacity_providers


def _create_capacity_provider(account, region, body):
    name = body.get("CapacityProviderName")
    vpc = body.get("VpcConfig")
    permissions = body.get("PermissionsConfig")
    if not name or not CAPACITY_PROVIDER_NAME.match(name):
        return _lambda_error("InvalidParameterValueException", "CapacityProviderName is required: 1 to 140 of [a-zA-Z0-9-_]", 400)
    if not isinstance(vpc, dict) or not vpc.get("SubnetIds") or "SecurityGroupIds" not in vpc:
        return _lambda_error("InvalidParameterValueException", "VpcConfig with SubnetIds and SecurityGroupIds is required", 400)
    if not isinstance(permissions, dict) or not permissions.get("CapacityProviderOperatorRoleArn"):
        return _lambda_error("InvalidParameterValueException", "PermissionsConfig.CapacityProviderOperatorRoleArn is required", 400)
    providers = _capacity_providers(account, region)
    if name in providers:
        return _lambda_error("ResourceConflictException", f"Capacity provider {name} already exists", 409)
    provider = {
        "CapacityProviderArn": f"arn:aws:lambda:{region}:{account}:capacity-provider:{name}",
        "State": "Active",
        "VpcConfig": {"SubnetIds": list(vpc["SubnetIds"]), "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or [])},
        "PermissionsConfig": {"CapacityProviderOperatorRoleArn": permissions["CapacityProviderOperatorRoleArn"]},
        "LastModified": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }
    for optional in ("CapacityProviderScalingConfig", "InstanceRequirements", "KmsKeyArn"):
        if optional in body:
            provider[optional] = body[optional]
    providers[name] = provider
    # The reference's status code of this answer was not confirmed; the
    # SDKs accept any 2xx.
    return Response(json.dumps({"CapacityProvider": provider}), status=200, content_type="application/json")


def _get_capacity_provider(account, region, name_or_arn):
    match = CAPACITY_PROVIDER_ARN.match(name_or_arn)
    name = match.group(1) if match else name_or_arn
    provider = _capacity_providers(account, region).get(name)
    if provider is None or (match and provider["CapacityProviderArn"] != name_or_arn):
        return _lambda_error("ResourceNotFoundException", f"Capacity provider not found: {name_or_arn}", 404)
    return Response(json.dumps({"CapacityProvider": provider}), status=200, content_type="application/json")


def _list_capacity_providers(account, region, args):
    state = args.get("State")
    if state and state not in CAPACITY_PROVIDER_STATES:
        return _lambda_error("InvalidParameterValueException", f"State {state} is not one of {', '.join(CAPACITY_PROVIDER_STATES)}", 400)
    try:
        max_items = int(args.get("MaxItems") or 50)
    except ValueError:
        max_items = 0
    if not 1 <= max_items <= 50:
        return _lambda_error("InvalidParameterValueException", "MaxItems must be between 1 and 50", 400)
    providers = [p for _, p in sorted(_capacity_providers(account, region).items()) if not state or p["State"] == state]
    start = int(args.get("Marker") or 0)
    page = providers[start:start + max_items]
    answer = {"CapacityProviders": page}
    if start + max_items < len(providers):
        answer["NextMarker"] = str(start + max_items)
    return Response(json.dumps(answer), status=200, content_type="application/json")


def capacity_provider_route(environ, start_response):
    request = Request(environ)
    account, region = _signed_scope(environ)
    path = environ.get("PATH_INFO", "")
    rest = unquote(path[len(CAPACITY_PROVIDERS_PATH):].lstrip("/"))
    method = environ.get("REQUEST_METHOD")
    if method == "POST" and not rest:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError as err:
            response = _lambda_error("InvalidParameterValueException", f"bad request: {err}", 400)
        else:
            response = _create_capacity_provider(account, region, body)
    elif method == "GET" and not rest:
        response = _list_capacity_providers(account, region, request.args)
    elif method == "GET":
        response = _get_capacity_provider(account, region, rest)
    else:
        response = _lambda_error("InvalidParameterValueException", f"{method} {path} is not emulated", 400)
    return response(environ, start_response)


_function_init_without_provider = lambda_models.LambdaFunction.__init__
_update_configuration_without_provider = lambda_models.LambdaFunction.update_configuration
_configuration_without_provider = lambda_models.LambdaFunction.get_configuration


def function_init_on_provider(self, account_id, spec, *args, **kwargs):
    _function_init_without_provider(self, account_id, spec, *args, **kwargs)
    self.vpcmedic_capacity_provider = spec.get("CapacityProviderConfig")


def update_configuration_on_provider(self, config_updates):
    if "CapacityProviderConfig" in config_updates:
        self.vpcmedic_capacity_provider = config_updates["CapacityProviderConfig"]
    return _update_configuration_without_provider(self, config_updates)


def function_configuration_on_provider(self, *args, **kwargs):
    config = _configuration_without_provider(self, *args, **kwargs)
    provider = getattr(self, "vpcmedic_capacity_provider", None)
    if provider and (provider.get("LambdaManagedInstancesCapacityProviderConfig") or {}).get("CapacityProviderArn"):
        config["CapacityProviderConfig"] = provider
    return config


lambda_models.LambdaFunction.__init__ = function_init_on_provider
lambda_models.LambdaFunction.update_configuration = update_configuration_on_provider
lambda_models.LambdaFunction.get_configuration = function_configuration_on_provider


# ---------------------------------------------------------------------------
# Server.
# ---------------------------------------------------------------------------


def vpcmedic_routes(app):
    """Wrap moto's WSGI app with the test-only /_vpcmedic/ endpoints."""

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CAPACITY_PROVIDERS_PATH):
            return capacity_provider_route(environ, start_response)
        if environ.get("PATH_INFO") == "/_vpcmedic/function-state" and environ.get("REQUEST_METHOD") == "POST":
            return function_state_route(environ, start_response)
        if environ.get("PATH_INFO") == "/_vpcmedic/vpc-connection" and environ.get("REQUEST_METHOD") == "POST":
            return vpc_connection_route(environ, start_response)
        if environ.get("PATH_INFO") == "/_vpcmedic/esm-state" and environ.get("REQUEST_METHOD") == "POST":
            request = Request(environ)
            try:
                found = set_esm_state(json.loads(request.get_data() or b"{}"))
            except ValueError as err:
                return Response(f"bad request: {err}\n", status=400)(environ, start_response)
            if not found:
                return Response("event source mapping not found\n", status=404)(environ, start_response)
            return Response("", status=204)(environ, start_response)
        return app(environ, start_response)

    return wsgi


# Gap: moto 5.2.1 does not implement DescribeVpcEndpoints' vpc-endpoint-id
# filter (HTTP 500), which AWS supports and vpcmedic uses to find the VPC of
# a deleted or modified endpoint.
from moto.ec2.models.vpcs import VPCEndPoint  # noqa: E402

_endpoint_filter_value = VPCEndPoint.get_filter_value


def endpoint_filter_value(self, filter_name, method_name=None):
    if filter_name == "vpc-endpoint-id":
        return self.id
    return _endpoint_filter_value(self, filter_name, method_name)


VPCEndPoint.get_filter_value = endpoint_filter_value


# Lost answers. Now and then, on a loaded machine, a local connection is torn
# down while the SDK reads an answer ("use of closed network connection",
# "connection reset"). The SDK retries such errors, and AWS would carry a
# retried change out again or dedupe it by its client token; but a retry of
# an answer lost on this local hop is not a fault the tests mean to inject,
# and carrying it out again makes a second VPC, a second page, or a
# conditional write that fails against its own first attempt. Every SDK
# attempt of one operation call carries the same amz-sdk-invocation-id
# header, so the emulator carries the first attempt out and answers the
# others with its answer: a lost answer only costs a retry. Answers of 500
# and above and 429 are not kept (the SDK retries those because the service
# failed or asked it to, and the retry is carried out). Not an AWS behaviour: internal/faults, which
# injects lost answers on purpose, forwards them under another invocation ID.
class _Answer:
    def __init__(self):
        self.done = threading.Event()
        self.response = None  # (status, headers, body) once kept


class ReplayAnswers:
    """Carry out each SDK operation call once, answering its retries alike."""

    max_entries = 4096
    max_bytes = 64 << 20
    max_body = 8 << 20

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.answers = {}  # invocation ID -> _Answer, oldest first
        self.size = 0

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/moto-api/reset":
            with self.lock:
                self.answers.clear()
                self.size = 0
        key = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not key:
            return self.app(environ, start_response)
        with self.lock:
            entry = self.answers.get(key)
            first = entry is None
            if first:
                entry = self.answers[key] = _Answer()
        if not first:
            # A retry: wait for the first attempt if it is still running.
            entry.done.wait(timeout=120)
            if entry.response is not None:
                status, headers, body = entry.response
                start_response(status, headers)
                return [body]
            return self.app(environ, start_response)
        try:
            status, headers, body = self._run(environ)
            code = int(status.split(" ", 1)[0])
            if code < 500 and code != 429 and len(body) <= self.max_body:
                entry.response = (status, headers, body)
                self._account(len(body))
            else:
                self._forget(key)
        except BaseException:
            self._forget(key)
            raise
        finally:
            entry.done.set()
        start_response(status, headers)
        return [body]

    def _run(self, environ):
        captured = {}
        chunks = []

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, list(headers)
            return chunks.append

        result = self.app(environ, capture)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        return captured["status"], captured["headers"], b"".join(chunks)

    def _account(self, n):
        with self.lock:
            self.size += n
            while len(self.answers) > self.max_entries or self.size > self.max_bytes:
                oldest = next(iter(self.answers))
                if not self._drop(oldest):
                    break

    def _forget(self, key):
        with self.lock:
            self._drop(key)

    def _drop(self, key):
        entry = self.answers.pop(key, None)
        if entry is None:
            return False
        if entry.response is not None:
            self.size -= len(entry.response[2])
        return True


class QuietHandler(WSGIRequestHandler):
    # HTTP/1.1 keeps connections open between requests. With werkzeug's
    # default (HTTP/1.0, one connection per request) a loaded machine now and
    # then tears a connection down while the SDK is still reading the answer.
    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs):  # one line per request would flood the parent's buffer
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    args = parser.parse_args()

    app = ReplayAnswers(vpcmedic_routes(DomainDispatcherApplication(create_backend_app)))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=QuietHandler)
    server.socket.listen(128)  # the SDK opens many connections at once
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)

    # Stay alive until the parent closes our stdin (or dies).
    for _ in sys.stdin:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
