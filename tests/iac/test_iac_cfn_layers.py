"""Layer ARNs built with intrinsics keep a known publisher account when only the region,
partition or version is unresolved (``!Sub arn:aws:lambda:${AWS::Region}:017000801446:...``),
and stay unknown when the account itself is not written."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.config import ScanConfig
from fortress.findings import Status
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

POWERTOOLS = "017000801446"


def _template(tmp_path: Path, layer: str, sam: bool = False) -> Path:
    path = tmp_path / "template.yaml"
    kind = "AWS::Serverless::Function" if sam else "AWS::Lambda::Function"
    code = "CodeUri: src" if sam else "Role: arn:aws:iam::111122223333:role/r"
    path.write_text(
        ("Transform: AWS::Serverless-2016-10-31\n" if sam else "")
        + "Parameters:\n  Region: {Type: String}\n  Version: {Type: String}\n"
        "  LayerAccount: {Type: String}\n"
        f"Resources:\n  Fn:\n    Type: {kind}\n    Properties:\n"
        f"      Runtime: python3.12\n      Handler: a.h\n      {code}\n"
        f"      Layers:\n        - {layer}\n"
    )
    return path


@pytest.mark.parametrize("sam", [False, True], ids=["cfn", "sam"])
@pytest.mark.parametrize(
    ("layer", "arn"),
    [
        (
            f"!Sub arn:aws:lambda:${{AWS::Region}}:{POWERTOOLS}:layer:AWSLambdaPowertoolsPythonV3:7",
            f"arn:aws:lambda:${{AWS::Region}}:{POWERTOOLS}:layer:AWSLambdaPowertoolsPythonV3:7",
        ),
        (
            f'!Sub "arn:${{AWS::Partition}}:lambda:${{Region}}:{POWERTOOLS}:layer:P:${{Version}}"',
            f"arn:aws:lambda:${{Region}}:{POWERTOOLS}:layer:P:${{Version}}",
        ),
        (
            f'!Join [":", [arn, !Ref AWS::Partition, lambda, !Ref Region, "{POWERTOOLS}", layer, P, !Ref Version]]',
            f"arn:aws:lambda:${{Region}}:{POWERTOOLS}:layer:P:${{Version}}",
        ),
    ],
    ids=["sub-region", "sub-partition-region-version", "join"],
)
def test_account_is_known_when_the_region_is_not(
    tmp_path: Path, layer: str, arn: str, sam: bool
) -> None:
    inventory = cloudformation.load(_template(tmp_path, layer, sam), IacOptions())
    [fn] = inventory.functions
    [ref] = fn.layers
    assert (ref.arn, ref.account) == (arn, POWERTOOLS)
    rule = select_rules(["FTR-CODE-003"])
    [default] = evaluate(inventory, rule, ScanConfig())
    if ":layer:AWSLambdaPowertools" in arn:  # a published Powertools layer: trusted by default
        assert default.status is Status.PASS and "Powertools" in default.message
    else:  # the publisher's account with a layer name it does not publish
        assert default.status is Status.FAIL and f"account {POWERTOOLS}" in default.message
    [trusted] = evaluate(inventory, rule, ScanConfig(trusted_accounts={POWERTOOLS}))
    assert trusted.status is Status.PASS


def test_given_region_is_used(tmp_path: Path) -> None:
    path = _template(tmp_path, f"!Sub arn:aws:lambda:${{AWS::Region}}:{POWERTOOLS}:layer:L:7")
    [fn] = cloudformation.load(path, IacOptions(region="eu-west-1")).functions
    assert fn.layers[0].arn == f"arn:aws:lambda:eu-west-1:{POWERTOOLS}:layer:L:7"


@pytest.mark.parametrize(
    "layer",
    [
        "!Sub arn:aws:lambda:us-east-1:${LayerAccount}:layer:L:1",
        "!Ref Version",
        '!Join [":", [arn, aws, lambda, us-east-1, !Ref LayerAccount, layer, L, "1"]]',
    ],
    ids=["sub-account", "ref", "join-account"],
)
def test_unresolved_account_stays_unknown(tmp_path: Path, layer: str) -> None:
    inventory = cloudformation.load(_template(tmp_path, layer), IacOptions())
    [ref] = inventory.functions[0].layers
    assert not isinstance(ref.arn, str) and ref.account is None
    [finding] = evaluate(inventory, select_rules(["FTR-CODE-003"]), ScanConfig())
    assert finding.status is Status.UNKNOWN


def test_placeholders_with_colons_stay_one_arn_part() -> None:
    from fortress.iam import exposure
    from fortress.inventory import TEMPLATE_ACCOUNT, LayerRef, arn_parts

    arn = f"arn:aws:lambda:${{AWS::Region}}:{POWERTOOLS}:layer:L:${{Version}}"
    assert arn_parts(arn) == [
        "arn",
        "aws",
        "lambda",
        "${AWS::Region}",
        POWERTOOLS,
        "layer",
        "L",
        "${Version}",
    ]
    assert LayerRef(arn).account == POWERTOOLS == exposure.account_of(arn)
    own = f"arn:aws:lambda:${{AWS::Region}}:{TEMPLATE_ACCOUNT}:layer:L:1"
    assert LayerRef(own).account == TEMPLATE_ACCOUNT == exposure.account_of(own)
