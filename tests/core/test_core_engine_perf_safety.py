"""The speed-ups of the posture scan change no verdict and read no fewer facts.

- The rule engine's per-scan cache (``Context.memo``), the cached target lists and the
  paused garbage collector: findings are identical with the cache defeated.
- The live source: code signing read region-wide when the endpoint allows it (falling back to
  one call per function), each code signing config read once, and version history skipped only
  when asked.
"""

from __future__ import annotations

import copy
import gc
import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from fortress.aws.client import AwsClient, AwsOptions
from fortress.findings import Finding
from fortress.inventory import (
    PART_VERSIONS,
    CodeSigning,
    Function,
    Inventory,
    Origin,
    Policy,
    Role,
    SecurityGroup,
    VpcConfig,
)
from fortress.rules import engine
from fortress.rules.engine import Context, all_rules, evaluate
from fortress.sources import aws as live
from fortress.sources.base import IacOptions

ACCOUNT = "123456789012"
REGION = "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)
FIXTURES = Path(__file__).parents[1] / "iac" / "fixtures"
TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
}


# --------------------------------------------------------------------------- helpers


def _fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _dump(findings: list[Finding]) -> list[str]:
    return sorted(json.dumps(f.to_dict(), sort_keys=True, default=str) for f in findings)


def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defeat the per-scan cache: every memo computes afresh."""
    monkeypatch.setattr(Context, "memo", lambda self, kind, obj, compute: compute())


def _shared_documents_inventory() -> Inventory:
    """Roles sharing the very same policy documents, differing only in their own functions.

    ``escalate`` allows lambda:UpdateFunctionCode on fn-a's ARN only: for role-a (used by
    fn-a) that is its own function, for role-b (used by fn-b) another one. A cache keyed on the
    documents alone would give both roles the same privilege-escalation verdict.
    """
    escalate = {
        "Statement": [
            {
                "Sid": "Update",
                "Effect": "Allow",
                "Action": ["lambda:UpdateFunctionCode", "iam:PassRole"],
                "Resource": _fn_arn("fn-a"),
            }
        ]
    }
    broad = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    secret_arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf"
    reads = {
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        ]
    }
    roles = []
    for key, extra in (("a", reads), ("b", None), ("c", reads)):
        policies = [
            Policy(name="escalate", document=escalate, inline=True),
            Policy(name="broad", document=broad, inline=True),
        ]
        if extra is not None:
            policies.append(Policy(name="reads", document=extra, inline=True))
        roles.append(
            Role(
                name=f"role-{key}",
                arn=f"arn:aws:iam::{ACCOUNT}:role/role-{key}",
                origin=ORIGIN,
                trust_policy=TRUST,
                inline_policies=policies,
            )
        )
    public = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:*", "Resource": "*"}]
    }
    functions = []
    for key in ("a", "b", "c", "d"):
        functions.append(
            Function(
                name=f"fn-{key}",
                arn=_fn_arn(f"fn-{key}"),
                origin=ORIGIN,
                runtime="python3.12",
                role_arn=f"arn:aws:iam::{ACCOUNT}:role/role-{'c' if key == 'd' else key}",
                # fn-a and fn-b share one policy document object; fn-c has an equal copy.
                resource_policy=public if key in "ab" else copy.deepcopy(public),
                vpc=VpcConfig(subnet_ids=["subnet-1"], security_group_ids=["sg-1", "sg-1"])
                if key in "ac"
                else None,
            )
        )
    from fortress.inventory import Secret

    return Inventory(
        functions=functions,
        roles=roles,
        security_groups=[
            SecurityGroup(id="sg-1", name="used", origin=ORIGIN),
            SecurityGroup(id="sg-2", name="unused", origin=ORIGIN),
        ],
        secrets=[Secret(arn=secret_arn, name="db", origin=ORIGIN)],
        accounts=[ACCOUNT],
        sources=["aws"],
    )


# --------------------------------------------------------------------------- the engine


def test_shared_documents_keep_per_role_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = _shared_documents_inventory()
    cached = evaluate(inventory, all_rules())
    escalation = {f.resource.name: str(f.status) for f in cached if f.rule_id == "FTR-IAM-004"}
    # UpdateFunctionCode on fn-a is role-a's own function but another function for role-b.
    assert escalation["role-a"] != escalation["role-b"]
    with monkeypatch.context() as patched:
        _uncached(patched)
        uncached = evaluate(inventory, all_rules())
    assert _dump(cached) == _dump(uncached)
    # Secret readers: role-c is shared by fn-c and fn-d, both reported.
    rotation = [f for f in cached if f.rule_id == "FTR-SEC-003"]
    assert rotation and rotation[0].evidence["functions"] == ["fn-a", "fn-c", "fn-d"]


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("cloudformation", FIXTURES / "sam" / "vulnerable.yaml"),
        ("cloudformation", FIXTURES / "cloudformation" / "vulnerable.yaml"),
        ("terraform", FIXTURES / "terraform" / "vulnerable"),
        ("terraform", FIXTURES / "terraform" / "goat"),
    ],
)
def test_cache_changes_no_finding_on_templates(
    kind: str, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "terraform":
        from fortress.sources import terraform as source
    else:
        from fortress.sources import cloudformation as source  # type: ignore[no-redef]
    inventory = source.load(path, IacOptions())
    cached = evaluate(inventory, all_rules())
    assert cached
    with monkeypatch.context() as patched:
        _uncached(patched)
        uncached = evaluate(inventory, all_rules())
    assert _dump(cached) == _dump(uncached)


def test_memo_keys_on_identity_and_strings_on_value() -> None:
    ctx = Context(Inventory())
    calls: list[str] = []

    def compute(label: str) -> str:
        calls.append(label)
        return label

    doc = {"Statement": []}
    equal = {"Statement": []}
    assert ctx.memo("k", doc, lambda: compute("doc")) == "doc"
    assert ctx.memo("k", doc, lambda: compute("again")) == "doc"  # same object: cached
    assert ctx.memo("k", equal, lambda: compute("equal")) == "equal"  # equal, not same
    assert ctx.memo("other", doc, lambda: compute("other")) == "other"  # kinds are separate
    name = "".join(["pol", "icy"])  # a distinct str object equal to "policy"
    assert ctx.memo("t", ("policy", doc), lambda: compute("tuple")) == "tuple"
    assert ctx.memo("t", (name, doc), lambda: compute("tuple2")) == "tuple"
    assert ctx.memo("t", (name, equal), lambda: compute("tuple3")) == "tuple3"
    assert calls == ["doc", "equal", "other", "tuple", "tuple3"]
    # A new Context (a new scan) starts empty.
    assert Context(Inventory()).memo("k", doc, lambda: compute("fresh")) == "fresh"


def test_targets_are_built_once_and_security_groups_are_the_used_ones() -> None:
    inventory = _shared_documents_inventory()
    ctx = Context(inventory)
    first = ctx.objects("function")
    assert ctx.objects("function") is first
    assert [ref.name for _, ref in first] == ["fn-a", "fn-b", "fn-c", "fn-d"]
    assert [ref.name for _, ref in ctx.objects("security_group")] == ["used"]
    # A function naming a group twice is one user of it.
    assert [fn.name for fn in ctx.functions_with_security_group("sg-1")] == ["fn-a", "fn-c"]
    assert ctx.functions_with_security_group("sg-2") == []
    open_group = [f for f in evaluate(inventory, all_rules()) if f.resource.id == "sg-1"]
    assert open_group, "the used security group is judged"


def test_gc_is_restored_after_evaluation() -> None:
    assert gc.isenabled()
    evaluate(_shared_documents_inventory(), all_rules())
    assert gc.isenabled()
    gc.disable()
    try:
        evaluate(_shared_documents_inventory(), all_rules())
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()

    def boom(obj: Any, ctx: Context) -> engine.Verdict:
        raise RuntimeError("rule bug")

    rule = engine.Rule(all_rules()[0].meta, boom)
    with pytest.raises(RuntimeError):
        evaluate(_shared_documents_inventory(), [rule])
    assert gc.isenabled()


# --------------------------------------------------------------------------- the live source


def _stubbed_collector() -> tuple[live._RegionCollector, AwsClient, Stubber]:
    client = AwsClient(AwsOptions(regions=[REGION], credentials=("testing", "testing")))
    lam = boto3.client(
        "lambda",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client._clients[("lambda", REGION)] = lam
    return live._RegionCollector(client, ACCOUNT, REGION, None), client, Stubber(lam)


def test_code_signing_is_read_region_wide() -> None:
    collector, client, stub = _stubbed_collector()
    csc = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-1234567890abcdef0"
    profile = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/p/abcdefghij"
    stub.add_response(
        "list_code_signing_configs",
        {
            "CodeSigningConfigs": [
                {
                    "CodeSigningConfigId": "csc-1234567890abcdef0",
                    "CodeSigningConfigArn": csc,
                    "AllowedPublishers": {"SigningProfileVersionArns": [profile]},
                    "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
                    "LastModified": "2026-01-01T00:00:00.000+0000",
                }
            ]
        },
    )
    stub.add_response(
        "list_functions_by_code_signing_config",
        {"FunctionArns": [_fn_arn("signed"), _fn_arn("signed-too") + ":3"]},
        {"CodeSigningConfigArn": csc},
    )
    with stub:
        index = collector._code_signing_index()
    stub.assert_no_pending_responses()
    assert index is not None
    assert set(index) == {_fn_arn("signed"), _fn_arn("signed-too")}
    signed = index[_fn_arn("signed")]
    assert signed.arn == csc
    assert signed.untrusted_artifact_on_deployment == "Enforce"
    assert signed.allowed_publishers == [profile]
    assert index[_fn_arn("signed-too")] is not signed  # each function its own copy
    assert client.gaps == []


def test_no_code_signing_config_means_no_function_is_signed() -> None:
    collector, client, stub = _stubbed_collector()
    stub.add_response("list_code_signing_configs", {"CodeSigningConfigs": []})
    with stub:
        assert collector._code_signing_index() == {}
    assert client.gaps == []


@pytest.mark.parametrize("code", ["AccessDeniedException", "ResourceNotFoundException"])
def test_code_signing_falls_back_per_function_without_a_gap(code: str) -> None:
    collector, client, stub = _stubbed_collector()
    stub.add_client_error(
        "list_code_signing_configs", service_error_code=code, http_status_code=403
    )
    with stub:
        assert collector._code_signing_index() is None
    assert client.gaps == []  # the per-function calls read the same facts, and record theirs


def _count_operations(client: AwsClient) -> Counter[str]:
    seen: Counter[str] = Counter()
    lam = client.client("lambda", REGION)
    lam.meta.events.register("before-call.*.*", lambda model, **_: seen.update([model.name]))
    return seen


def test_live_collection_reads_less_and_the_same_facts(client: Any, aws: str) -> None:
    """Against the emulator (which lacks the region-wide code signing calls)."""
    iam = client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    lam = client("lambda")
    csc = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-1234567890abcdef0"
    for name in ("one", "two", "plain"):
        params: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "app.handler",
            "Code": {"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        }
        if name != "plain":
            params["CodeSigningConfigArn"] = csc
        lam.create_function(**params)
    lam.publish_version(FunctionName="one")

    def scan(**kwargs: Any) -> tuple[Inventory, AwsClient, Counter[str]]:
        scanner = AwsClient(
            AwsOptions(
                regions=[REGION],
                endpoint_url=aws,
                credentials=("testing", "testing"),
                max_attempts=1,
            )
        )
        seen = _count_operations(scanner)
        return live.collect(scanner, **kwargs), scanner, seen

    full, full_client, full_ops = scan()
    lean, _, lean_ops = scan(versions=False)
    by_name = {fn.name: fn for fn in full.functions}
    assert [v.version for v in by_name["one"].versions] == ["1"]
    assert full_ops["ListVersionsByFunction"] == 3
    # Without versions: no version call, nothing marked uncollected, every other fact equal.
    assert lean_ops["ListVersionsByFunction"] == 0
    for fn in lean.functions:
        assert fn.versions == [] and PART_VERSIONS not in fn.uncollected
        twin = by_name[fn.name]
        assert (fn.code_signing, fn.resource_policy, fn.urls, fn.tags) == (
            twin.code_signing,
            twin.resource_policy,
            twin.urls,
            twin.tags,
        )
    # The emulator has no list_code_signing_configs: each function is asked instead, and the
    # shared config is read once however many functions use it.
    assert full_ops["GetFunctionCodeSigningConfig"] == 3
    assert full_ops["GetCodeSigningConfig"] == 1
    signing = by_name["one"].code_signing
    assert isinstance(signing, CodeSigning) and signing.arn == csc
    assert by_name["two"].code_signing is not signing
    assert by_name["plain"].code_signing is None
    ops = {(g.operation, g.error_code) for g in full_client.gaps}
    assert ("get_code_signing_config", "NotImplemented") in ops
    assert not any(g.operation == "list_code_signing_configs" for g in full_client.gaps)


def test_live_scan_lists_the_account_s_iam_once(client: Any, aws: str) -> None:
    """The execution roles and the account's principals (FTR-IAM-011) share one listing of
    roles and local policies: each ``get_account_authorization_details`` filter is paged once
    (it was six calls, the roles and local policies twice), with the same roles."""
    iam = client("iam")
    iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_user(UserName="deployer")
    client("lambda").create_function(
        FunctionName="listed-once",
        Runtime="python3.12",
        Role=f"arn:aws:iam::{ACCOUNT}:role/fn-role",
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    scanner = AwsClient(
        AwsOptions(
            regions=[REGION], endpoint_url=aws, credentials=("testing", "testing"), max_attempts=1
        )
    )
    filters: Counter[str] = Counter()

    def seen(params: dict[str, Any], **_: Any) -> None:
        filters.update(params.get("Filter") or ["(none)"])

    scanner.client("iam", None).meta.events.register(
        "before-parameter-build.iam.GetAccountAuthorizationDetails", seen
    )
    inventory = live.collect(scanner)
    assert filters == Counter({"User": 1, "Group": 1, "Role": 1, "LocalManagedPolicy": 1})
    assert [r.name for r in inventory.roles] == ["fn-role"]
    (account,) = inventory.iam
    assert "deployer" in [u.name for u in account.users]
    assert "fn-role" in [r.name for r in account.roles]
