"""REST API resource policies (FTR-API-010) from SAM ``Auth.ResourcePolicy`` and Serverless
``provider.apiGateway.resourcePolicy``, the paths the shared fixtures do not take."""

from __future__ import annotations

from pathlib import Path

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, serverless
from fortress.sources.base import IacOptions

SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ResourcePolicy:
          CustomStatements:
            - {Effect: Allow, Principal: "*", Action: execute-api:Invoke, Resource: execute-api:/*}
"""

SLS = """\
service: shop
provider:
  name: aws
  runtime: python3.12
  apiGateway:
    resourcePolicy:
      - Effect: Allow
        Principal: "*"
        Action: execute-api:Invoke
        Resource: execute-api:/*
functions:
  list:
    handler: list.handler
    events:
      - http: GET /items
"""


def _run(inv: object) -> Finding:
    (f,) = engine.evaluate(inv, engine.select_rules(["FTR-API-010"]))  # type: ignore[arg-type]
    return f


def test_sam_custom_statements_allowing_anyone_fail(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    f = _run(cloudformation.load(path, IacOptions()))
    assert f.status is Status.FAIL and (f.resource.file, f.resource.line) == (str(path), 3)


def test_sam_allow_lists_and_conditions_pass(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    conditional = SAM.replace(
        "Resource: execute-api:/*}",
        "Resource: execute-api:/*, Condition: {StringEquals: {aws:SourceVpc: vpc-0abc}}}",
    )
    path.write_text(conditional)
    assert _run(cloudformation.load(path, IacOptions())).status is Status.PASS
    # IpRangeWhitelist only ever allows the listed ranges: no public statement to judge.
    path.write_text(
        SAM.split("          CustomStatements:")[0] + "          IpRangeWhitelist: [10.0.0.0/8]\n"
    )
    inv = cloudformation.load(path, IacOptions())
    assert engine.evaluate(inv, engine.select_rules(["FTR-API-010"])) == []


def test_serverless_resource_policy_reaches_the_rest_api(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(SLS)
    f = _run(serverless.load(path, IacOptions()))
    assert f.status is Status.FAIL and f.resource.logical_id == "ApiGatewayRestApi"
    assert "statement #1" in f.message
    path.write_text(
        SLS.replace('Principal: "*"', "Principal: {AWS: arn:aws:iam::111122223333:root}")
    )
    assert _run(serverless.load(path, IacOptions())).status is Status.PASS


def test_unresolvable_principal_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Parameters:\n  Who: {Type: String}\n"
        + SAM.replace('Principal: "*"', "Principal: !Ref Who").replace("Transform", "Transform", 1)
    )
    f = _run(cloudformation.load(path, IacOptions()))
    assert f.status is Status.UNKNOWN and "Who" in f.message
