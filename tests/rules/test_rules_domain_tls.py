"""FTR-API-011: API Gateway custom domains whose security policy accepts TLS below 1.2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_rules_api_exposure import ORIGIN, one, run

from fortress.findings import Status
from fortress.inventory import ApiDomain, Inventory, Unknown
from fortress.rules import engine
from fortress.sources import cloudformation, terraform
from fortress.sources.base import IacOptions


def _inv(policy: Any, version: str = "v1") -> Inventory:
    return Inventory(
        domains=[ApiDomain("api.example.com", ORIGIN, version=version, security_policy=policy)]
    )


def test_tls_1_0_fails_and_names_the_policy() -> None:
    f = one(run(_inv("TLS_1_0"), "FTR-API-011"))
    assert f.status is Status.FAIL and "TLS_1_0" in f.message
    assert f.resource.type == "AWS::ApiGateway::DomainName"
    assert f.resource.id == "arn:aws:apigateway:us-east-1::/domainnames/api.example.com"


def test_tls_1_2_and_newer_policies_pass() -> None:
    for policy in ("TLS_1_2", "SecurityPolicy_TLS13_1_2_2021_06", "SecurityPolicy_TLS13_2025_EDGE"):
        f = one(run(_inv(policy, "v2"), "FTR-API-011"))
        assert f.status is Status.PASS, policy
        assert f.resource.type == "AWS::ApiGatewayV2::DomainName"


def test_unset_unknown_and_unrecognised_policies_are_unknown() -> None:
    for policy, why in (
        (None, "sets no security policy"),
        (Unknown("a parameter"), "a parameter"),
        ("SomethingNew", "does not know"),
    ):
        f = one(run(_inv(policy), "FTR-API-011"))
        assert f.status is Status.UNKNOWN and why in f.message


def test_sam_api_domain_property_is_a_custom_domain(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n"
        "    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n"
        "      Domain: {DomainName: api.example.com, CertificateArn: arn:aws:acm:x, "
        "SecurityPolicy: TLS_1_0}\n"
    )
    inv = cloudformation.load(path, IacOptions())
    (f,) = engine.evaluate(inv, engine.select_rules(["FTR-API-011"]))
    assert f.status is Status.FAIL and (f.resource.file, f.resource.line) == (str(path), 3)


def test_terraform_v2_domain_is_judged_by_its_weakest_configuration(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_apigatewayv2_domain_name" "d" {\n  domain_name = "d.example.com"\n'
        '  domain_name_configuration {\n    security_policy = "TLS_1_2"\n  }\n'
        '  domain_name_configuration {\n    security_policy = "TLS_1_0"\n  }\n}\n'
    )
    (f,) = engine.evaluate(terraform.load(tmp_path), engine.select_rules(["FTR-API-011"]))
    assert f.status is Status.FAIL and f.resource.line == 1
