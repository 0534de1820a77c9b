"""Practice: secrets management.

Evidence never carries a secret value: only variable names, kinds, detectors, fingerprints and a
redacted preview (see :mod:`fortress.secrets.detect`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from fortress.findings import Practice, Severity
from fortress.iam import match
from fortress.iam.policy import parse_policies
from fortress.inventory import (
    COLLECTION_PARAMETERS,
    WITHHELD,
    Function,
    Parameter,
    Role,
    Secret,
    Unknown,
    parameter_name_in,
)
from fortress.rules.engine import Context, StageTarget, Verdict, rule
from fortress.secrets.detect import (
    AWS_EXAMPLE_KEYS,
    fingerprint,
    is_ignored,
    looks_like_secret_name,
    scan_value,
)

# CloudFormation dynamic references resolve at deploy time: the plaintext then sits in the
# function configuration for anyone with lambda:GetFunctionConfiguration to read.
_RESOLVED_SECRET = re.compile(r"\{\{resolve:secretsmanager:", re.IGNORECASE)

# The collector (``fortress collect``) replaces secret values by Unknown with this reason.
_WITHHELD = WITHHELD.lower()
_WITHHELD_DETAIL = re.compile(r"\((.+), (sha256:[0-9a-f]+)\)$")

# (name, value, IaC reference, kind recorded by the collector, fingerprint by the collector)
Variable = tuple[str, str | Unknown, str | None, str | None, str | None]

# --------------------------------------------------------------------------- helpers


def reference_kind(reference: str) -> str:
    """Human label for an IaC reference wired into an environment variable."""
    ref = reference.lower()
    if "secretaccesskey" in ref or ("access_key" in ref and "secret" in ref):
        return "AWS secret access key (wired from IaC)"
    if "accesskey" in ref or "access_key" in ref:
        return "AWS access key (wired from IaC)"
    if "secretstring" in ref or "secret_string" in ref or "secretsmanager" in ref:
        return "Secrets Manager secret value (wired from IaC)"
    if "apikey" in ref or "api_key" in ref:
        return "API key value (wired from IaC)"
    if "password" in ref:
        return "password (wired from IaC)"
    return f"secret value wired from {reference}"


def _describe(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{item['name']} ({item['kind']})" for item in items)


def _scan_variables(
    variables: Iterable[Variable], ignore: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, str]], int]:
    """(secret variables, undecidable secret-named variables, count examined)."""
    found: list[dict[str, Any]] = []
    undecided: list[dict[str, str]] = []
    count = 0
    for name, value, reference, redacted_kind, fp in variables:
        count += 1
        if redacted_kind or (isinstance(value, Unknown) and _WITHHELD in value.reason.lower()):
            # The collector already judged the value a secret and withheld it (snapshots).
            if is_ignored(name, "", ignore):
                continue
            kind = redacted_kind
            if not kind and isinstance(value, Unknown):
                # "secret value withheld from the snapshot (GitHub token, sha256:…)"
                inner = _WITHHELD_DETAIL.search(value.reason)
                kind = inner.group(1) if inner else None
                fp = fp or (inner.group(2) if inner else None)
            item: dict[str, Any] = {
                "name": name,
                "kind": kind or "secret (value withheld at collection)",
                "detector": "collector",
            }
            if fp:
                item["fingerprint"] = fp
            found.append(item)
            continue
        if reference:
            if is_ignored(name, "", ignore):
                continue
            found.append(
                {
                    "name": name,
                    "kind": reference_kind(reference),
                    "detector": "iac-reference",
                    "reference": reference,
                }
            )
            continue
        if isinstance(value, Unknown):
            if looks_like_secret_name(name) and not is_ignored(name, "", ignore):
                undecided.append({"name": name, "reason": value.reason})
            continue
        if _RESOLVED_SECRET.search(value) and not is_ignored(name, value, ignore):
            found.append(
                {
                    "name": name,
                    "kind": "Secrets Manager secret resolved into the configuration",
                    "detector": "dynamic-reference",
                }
            )
            continue
        example = value.strip().strip("'\"")
        if example in AWS_EXAMPLE_KEYS and not is_ignored(name, "", ignore):
            # Never a working key, but a credential hard-coded into the function's
            # configuration all the same: the practice this rule is about (and the case peers
            # and labelled samples such as TerraGoat's flag). Package scans keep treating
            # these values as documentation placeholders.
            found.append(
                {
                    "name": name,
                    "kind": (
                        "AWS access key ID" if example[:4] in ("AKIA", "ASIA") else "AWS secret key"
                    )
                    + ", AWS's documented example",
                    "detector": "aws-example-key",
                    "fingerprint": fingerprint(value),
                }
            )
            continue
        hits = scan_value(name, value, ignore)
        if hits:
            found.append(
                {
                    "name": name,
                    "kind": hits[0].kind,
                    "kinds": [h.kind for h in hits],
                    "detector": hits[0].detector,
                    "fingerprint": hits[0].fingerprint,
                }
            )
    return found, undecided, count


# --------------------------------------------------------------------------- FTR-SEC-001


@rule(
    id="FTR-SEC-001",
    title="Secret-looking values in Lambda environment variables",
    target="function",
    practice=Practice.SECRETS,
    severity=Severity.CRITICAL,
    rationale="""
        Environment variables are stored in the function configuration and returned in clear
        text to anyone allowed lambda:GetFunctionConfiguration or lambda:GetFunction; they are
        copied into every published version, into CloudFormation templates and Terraform state,
        and often into logs and crash reports. A credential placed there cannot be rotated
        without a redeploy and leaks with the first over-broad read permission.
    """,
    remediation="""
        Move the value to AWS Secrets Manager (or SSM Parameter Store SecureString), grant the
        execution role secretsmanager:GetSecretValue on that secret only, and read it at run time
        (for example with the AWS Parameters and Secrets Lambda Extension). Keep only the secret's
        name or ARN in the environment. Rotate the exposed credential: it must be treated as
        disclosed.
    """,
    snippets={
        "cli": (
            "aws secretsmanager create-secret --name <app>/<name> --secret-string file://value.txt\n"
            "aws lambda update-function-configuration --function-name <fn> "
            '--environment "Variables={SECRET_ID=<app>/<name>}"'
        ),
        "cloudformation": (
            "Environment:\n  Variables:\n    DB_SECRET_ID: !Ref DbSecret   # the secret's ARN, "
            "not its value\n# and in the role policy: secretsmanager:GetSecretValue on !Ref DbSecret"
        ),
        "terraform": (
            "environment {\n  variables = {\n    DB_SECRET_ID = aws_secretsmanager_secret.db.arn\n"
            "  }\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_45"],
        "prowler": ["awslambda_function_no_secrets_in_variables"],
    },
    controls={"nist-800-53-r5": ["IA-5(7)", "SC-28"], "pci-dss-4.0": ["8.3.2", "8.6.2"]},
)
def secrets_in_environment(fn: Function, ctx: Context) -> Verdict:
    variables: list[Variable] = [
        (v.name, v.value, v.reference, v.redacted, v.fingerprint) for v in fn.environment
    ]
    found, undecided, count = _scan_variables(variables, ctx.config.secret_ignore)
    if found:
        n = len(found)
        noun = "variable" if n == 1 else "variables"
        return Verdict.fail(
            f"secret-looking values in {n} environment {noun}: {_describe(found)}",
            variables=found,
        )
    if undecided:
        names = ", ".join(u["name"] for u in undecided)
        return Verdict.unknown(
            f"cannot tell whether {names} hold secrets: the values are not resolvable "
            f"({undecided[0]['reason']})",
            variables=undecided,
        )
    if count == 0:
        return Verdict.passed("no environment variables")
    return Verdict.passed(f"none of the {count} environment variables looks like a secret")


# --------------------------------------------------------------------------- FTR-SEC-002


@rule(
    id="FTR-SEC-002",
    title="Secret-looking values in API Gateway stage variables",
    target="stage",
    practice=Practice.SECRETS,
    severity=Severity.HIGH,
    rationale="""
        Stage variables are plain configuration: they are returned by apigateway:GET on the
        stage, exported with the API, visible in the console and in IaC state, and often logged
        through $stageVariables in access logs or passed to integrations. They are not a place
        for credentials.
    """,
    remediation="""
        Remove the credential from the stage variables; let the integration (usually a Lambda
        function) fetch it from Secrets Manager at run time, or use an IAM-authorized
        integration so that no shared secret is needed. Rotate the exposed value.
    """,
    snippets={
        "cli": (
            "aws apigateway update-stage --rest-api-id <api> --stage-name <stage> "
            "--patch-operations op=remove,path=/variables/<name>"
        ),
        "cloudformation": (
            "Variables:\n  SECRET_ID: prod/backend/api-key   # a pointer, never the value"
        ),
        "terraform": ("variables = {\n  SECRET_ID = aws_secretsmanager_secret.backend.name\n}"),
    },
    references={
        "prowler": ["apigateway_restapi_no_secrets_in_stage_variables"],
    },
    controls={"nist-800-53-r5": ["IA-5(7)", "SC-28"], "pci-dss-4.0": ["8.3.2", "8.6.2"]},
)
def secrets_in_stage_variables(target: StageTarget, ctx: Context) -> Verdict:
    stage = target.stage
    variables: list[Variable] = [
        (name, value, None, None, None) for name, value in stage.variables.items()
    ]
    found, undecided, count = _scan_variables(variables, ctx.config.secret_ignore)
    if found:
        n = len(found)
        noun = "variable" if n == 1 else "variables"
        return Verdict.fail(
            f"stage {stage.name} has secret-looking values in {n} stage {noun}: {_describe(found)}",
            variables=found,
        )
    if undecided:
        names = ", ".join(u["name"] for u in undecided)
        return Verdict.unknown(
            f"cannot tell whether stage variables {names} hold secrets: the values are not "
            f"resolvable ({undecided[0]['reason']})",
            variables=undecided,
        )
    if count == 0:
        return Verdict.passed(f"stage {stage.name} has no stage variables")
    return Verdict.passed(f"none of the {count} stage variables looks like a secret")


# --------------------------------------------------------------------------- FTR-SEC-003
#
# "Can read": the role's policies decide secretsmanager:GetSecretValue on the secret's ARN with
# fortress.iam.match (Action/NotAction case-insensitive, Resource/NotResource case-sensitive,
# wildcards; an explicit unconditional Deny wins). An Allow under a condition, or with a policy
# variable or an unresolved value, still counts: the rule errs towards "can read".

_ACTION = "secretsmanager:GetSecretValue"


def role_can_read(role: Role, arn: str) -> bool | None:
    """True/False, or None when a policy document of the role could not be read."""
    parsed = parse_policies([(p.name, p.document) for p in role.policies])
    level = match.evaluate(parsed, _ACTION, arn).level
    if level == match.UNKNOWN:
        return None
    return level != match.DENIED


def _named_in_environment(fn: Function, secret: Secret) -> bool:
    for var in fn.environment:
        value: object = var.value
        if not isinstance(value, str) or not value:
            continue
        if secret.arn in value or value == secret.name or value.endswith(f":secret:{secret.name}"):
            return True
    return False


@rule(
    id="FTR-SEC-003",
    title="Secret read by Lambda functions has no automatic rotation",
    target="secret",
    practice=Practice.SECRETS,
    severity=Severity.MEDIUM,
    rationale="""
        A secret a function reads is exposed to everything that can run code in that function
        (dependencies, an injection flaw, a stolen deployment role). Without rotation a leaked
        value stays valid indefinitely; rotation bounds how long a disclosure is useful.
    """,
    remediation="""
        Turn on automatic rotation for the secret (managed rotation for RDS, Aurora and Redshift
        credentials, or a rotation function for other secrets), with a schedule that fits your
        policy (for example every 30 to 90 days), and make the function read the secret at run
        time rather than caching it forever.
    """,
    snippets={
        "cli": (
            "aws secretsmanager rotate-secret --secret-id <secret> "
            "--rotation-lambda-arn <rotation-fn-arn> "
            "--rotation-rules AutomaticallyAfterDays=30"
        ),
        "cloudformation": (
            "Type: AWS::SecretsManager::RotationSchedule\nProperties:\n"
            "  SecretId: !Ref DbSecret\n  RotationLambdaARN: !GetAtt RotationFn.Arn\n"
            "  RotationRules:\n    AutomaticallyAfterDays: 30"
        ),
        "terraform": (
            'resource "aws_secretsmanager_secret_rotation" "db" {\n'
            "  secret_id           = aws_secretsmanager_secret.db.id\n"
            "  rotation_lambda_arn = aws_lambda_function.rotate.arn\n"
            "  rotation_rules {\n    automatically_after_days = 30\n  }\n}"
        ),
    },
    references={
        "checkov": ["CKV2_AWS_57"],
        "prowler": ["secretsmanager_automatic_rotation_enabled"],
        "securityhub": ["SecretsManager.1"],
    },
    controls={
        "aws-fsbp": ["SecretsManager.1"],
        "nist-800-53-r5": ["AC-2(1)", "AC-3(15)"],
        "pci-dss-4.0": ["8.3.9", "8.6.3"],
    },
)
def secret_without_rotation(secret: Secret, ctx: Context) -> Verdict:
    readers: list[str] = []
    undecided: list[str] = []
    arn = secret.arn
    for fn in ctx.inventory.functions:
        if _named_in_environment(fn, secret):
            readers.append(fn.name)
            continue
        role = ctx.role_of(fn)
        if role is None:
            if fn.role_arn is not None:
                undecided.append(fn.name)
            continue
        # Roles are shared by functions: judge each (role, secret) pair once per scan.
        can = ctx.memo("secrets.can-read", (role, arn), functools.partial(role_can_read, role, arn))
        if can:
            readers.append(fn.name)
        elif can is None:
            undecided.append(fn.name)
    if not readers:
        if undecided:
            return Verdict.unknown(
                f"cannot tell whether {', '.join(undecided)} can read secret {secret.name}: "
                "the execution role or its policies were not collected",
                functions=undecided,
            )
        return Verdict.not_applicable()
    who = ", ".join(readers)
    rotation: object = secret.rotation_enabled
    if isinstance(rotation, Unknown):
        return Verdict.unknown(
            f"rotation setting of secret {secret.name} is not known ({rotation.reason})",
            functions=readers,
        )
    if rotation is True:
        return Verdict.passed(f"secret {secret.name} (read by {who}) rotates automatically")
    return Verdict.fail(
        f"secret {secret.name} is readable by {who} and has no automatic rotation",
        functions=readers,
    )


__all__ = [
    "reference_kind",
    "role_can_read",
    "secret_without_rotation",
    "secrets_in_environment",
    "secrets_in_stage_variables",
]


# --------------------------------------------------------------------------- FTR-SEC-006


def _secret_like(var: str, parameter: str) -> bool:
    return looks_like_secret_name(var) or looks_like_secret_name(parameter.rsplit("/", 1)[-1])


@rule(
    id="FTR-SEC-006",
    title="Environment variable names a secret Parameter Store parameter stored as plain String",
    target="function",
    practice=Practice.SECRETS,
    severity=Severity.MEDIUM,
    rationale="""A String (or StringList) parameter is stored unencrypted: anyone allowed
        ssm:GetParameter or ssm:GetParameters on it reads the value, with no KMS key policy in
        the way and no kms:Decrypt in CloudTrail to tell who did. A parameter whose name (or the
        variable pointing at it) says password, secret, token or key belongs in a SecureString
        parameter or in Secrets Manager. A template that resolves it into the variable
        (``{{resolve:ssm:...}}``) also copies the value into the function configuration in
        plain text. Only the parameter's metadata is read, never its value.""",
    remediation="""Recreate the parameter as SecureString with a customer-managed KMS key (or
        move the secret to Secrets Manager), read it at run time with the Parameters and
        Secrets Lambda extension or the SDK, and allow the role kms:Decrypt on that key only.""",
    snippets={
        "cli": (
            "aws ssm put-parameter --name NAME --type SecureString --key-id KEY_ARN "
            "--value file://value.txt --overwrite"
        ),
        "terraform": (
            'resource "aws_ssm_parameter" "db_password" {\n  name   = "/app/db/password"\n'
            '  type   = "SecureString"\n  key_id = aws_kms_key.params.arn\n'
            "  value  = var.db_password\n}"
        ),
    },
    controls={"nist-800-53-r5": ["SC-28", "IA-5(7)"], "pci-dss-4.0": ["3.5.1", "8.3.2"]},
)
def plain_string_parameter(fn: Function, ctx: Context) -> Verdict:
    params: dict[str, Parameter] = ctx.memo(
        "parameters-by-name", None, lambda: _parameters_by_name(ctx)
    )
    missing_ok = not (
        f"{COLLECTION_PARAMETERS}@{fn.region}" in ctx.inventory.uncollected
        or COLLECTION_PARAMETERS in ctx.inventory.uncollected
    )
    plain: list[tuple[str, Parameter]] = []
    safe: list[str] = []
    undecided: list[str] = []
    for var in fn.environment:
        explicit = var.parameter is not None
        names = [var.parameter] if var.parameter else parameter_name_in(var.value)
        found = next((params[n] for n in names if n in params), None)
        if found is None:
            if explicit:
                undecided.append(
                    f"{var.name} reads parameter {var.parameter}, not declared in the scanned files"
                )
            elif names and not missing_ok:
                undecided.append(f"{var.name}: parameters could not be listed in {fn.region}")
            continue
        kind: object = found.type
        if isinstance(kind, Unknown):
            undecided.append(f"type of parameter {found.name} is not resolvable: {kind.reason}")
        elif kind == "SecureString":
            safe.append(f"{var.name} -> {found.name} (SecureString)")
        elif _secret_like(var.name, found.name):
            plain.append((var.name, found))
        else:
            safe.append(f"{var.name} -> {found.name} ({kind}, not secret-named)")
    if plain:
        listed = ", ".join(f"{v} -> {p.name} ({p.type})" for v, p in plain[:3])
        more = f" (+{len(plain) - 3} more)" if len(plain) > 3 else ""
        return Verdict.fail(
            f"{fn.name} reads secret-named parameters stored in plain text: {listed}{more}",
            parameters=[
                {"variable": v, "parameter": p.name, "type": p.type, "arn": p.arn} for v, p in plain
            ],
        )
    if undecided:
        return Verdict.unknown(undecided[0])
    if not safe:
        return Verdict.not_applicable()
    return Verdict.passed(f"parameters read by {fn.name}: {'; '.join(safe[:3])}")


def _parameters_by_name(ctx: Context) -> dict[str, Parameter]:
    found: dict[str, Parameter] = {}
    for p in ctx.inventory.parameters:
        found[p.name] = p
        if p.arn:
            found[p.arn] = p
    return found
