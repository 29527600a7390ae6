"""Transforms a SAM template into CloudFormation offline, as `sam validate` does, and prints it as JSON;
a template without a Transform is printed as it is.

Usage: python3 transform.py TEMPLATE

No AWS call is made: the managed policies the template names are resolved from a fixed map instead
of IAM, and the Region comes from the environment.
"""

import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

from samtranslator.public.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

# The AWS managed policies SAM may attach by name; an unknown name fails the transform instead of
# calling IAM.
MANAGED_POLICIES = {
    name: "arn:aws:iam::aws:policy/" + path
    for name, path in {
        "AWSLambdaBasicExecutionRole": "service-role/AWSLambdaBasicExecutionRole",
        "AWSLambdaVPCAccessExecutionRole": "service-role/AWSLambdaVPCAccessExecutionRole",
        "AWSXrayWriteOnlyAccess": "AWSXrayWriteOnlyAccess",
        "AWSXRayDaemonWriteAccess": "AWSXRayDaemonWriteAccess",
    }.items()
}


def package_local_code(template):
    """Stands in for `sam package`: the translator accepts only S3 locations for code."""
    functions = [template.get("Globals", {}).get("Function", {})]
    functions += [
        r.get("Properties", {})
        for r in template.get("Resources", {}).values()
        if r.get("Type") == "AWS::Serverless::Function"
    ]
    for props in functions:
        uri = props.get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            props["CodeUri"] = "s3://local-build/" + uri


class OfflinePolicyLoader:
    def load(self):
        return MANAGED_POLICIES


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    if "Transform" not in template:
        # Plain CloudFormation (the member template): nothing to translate.
        json.dump(template, sys.stdout, indent=1, sort_keys=True)
        return 0
    package_local_code(template)
    try:
        result = transform(template, {}, OfflinePolicyLoader())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(cause.message, file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
