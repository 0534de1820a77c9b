"""Practice: code integrity (FTR-CODE-001..004, FTR-CODE-006..007).

Code signing, encryption of the configuration that travels with the code, and the provenance
and sharing of layers.
"""

from __future__ import annotations

from fortress.findings import Practice, Severity
from fortress.iam import exposure
from fortress.inventory import (
    PART_CODE_SIGNING,
    PUBLIC_ACCESS_SETTINGS,
    TEMPLATE_ACCOUNT,
    Bucket,
    Function,
    LayerVersion,
    Unknown,
)
from fortress.rules.engine import Context, Verdict, rule
from fortress.rules.trusted_layers import parse_layer_arn, publisher_table

_CI = Practice.CODE_INTEGRITY


def _listing(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} (+{len(items) - limit} more)" if len(items) > limit else shown


@rule(
    id="FTR-CODE-001",
    title="Function does not enforce code signing",
    target="function",
    practice=_CI,
    severity=Severity.MEDIUM,
    rationale="""Without a code signing configuration set to Enforce, Lambda accepts any code
        package, so whoever obtains lambda:UpdateFunctionCode (or a compromised pipeline) can
        deploy unsigned, unreviewed code. A configuration in Warn mode only logs the problem.
        Container images are not covered by Lambda code signing and are skipped.""",
    remediation="""Create an AWS Signer profile, a code signing configuration listing it as an
        allowed publisher with UntrustedArtifactOnDeployment=Enforce, and attach it to the
        function; sign packages in the deployment pipeline.""",
    snippets={
        "cli": (
            "aws lambda create-code-signing-config --allowed-publishers "
            "SigningProfileVersionArns=PROFILE_VERSION_ARN "
            "--code-signing-policies UntrustedArtifactOnDeployment=Enforce\n"
            "aws lambda put-function-code-signing-config --function-name FUNCTION "
            "--code-signing-config-arn CSC_ARN"
        ),
        "cloudformation": (
            "SigningConfig:\n  Type: AWS::Lambda::CodeSigningConfig\n  Properties:\n"
            "    AllowedPublishers:\n      SigningProfileVersionArns: [!GetAtt Profile.ProfileVersionArn]\n"
            "    CodeSigningPolicies:\n      UntrustedArtifactOnDeployment: Enforce\n"
            "# and on the function: CodeSigningConfigArn: !Ref SigningConfig"
        ),
        "terraform": (
            'resource "aws_lambda_code_signing_config" "csc" {\n  allowed_publishers {\n'
            "    signing_profile_version_arns = [aws_signer_signing_profile.p.version_arn]\n  }\n"
            '  policies {\n    untrusted_artifact_on_deployment = "Enforce"\n  }\n}\n'
            "# and on the function: code_signing_config_arn = aws_lambda_code_signing_config.csc.arn"
        ),
    },
    references={"checkov": ["CKV_AWS_272"]},
    controls={"nist-800-53-r5": ["CM-14", "SI-7", "SI-7(15)"], "pci-dss-4.0": ["6.5.1"]},
)
def function_code_signing(fn: Function, ctx: Context) -> Verdict:
    if fn.package_type == "Image":
        return Verdict.not_applicable()
    if PART_CODE_SIGNING in fn.uncollected:
        return Verdict.unknown("the function's code signing configuration could not be read")
    csc = fn.code_signing
    if isinstance(csc, Unknown):
        return Verdict.unknown(f"code signing configuration is not resolvable: {csc.reason}")
    if csc is None:
        return Verdict.fail(f"function {fn.name} has no code signing configuration")
    name = csc.arn if isinstance(csc.arn, str) else "its code signing configuration"
    mode = csc.untrusted_artifact_on_deployment
    if isinstance(mode, Unknown):
        return Verdict.unknown(f"UntrustedArtifactOnDeployment of {name} is not resolvable")
    if mode.lower() != "enforce":
        return Verdict.fail(
            f"function {fn.name}: {name} only warns on unsigned code "
            f"(UntrustedArtifactOnDeployment={mode})",
            code_signing_config=csc.arn if isinstance(csc.arn, str) else None,
            mode=mode,
        )
    return Verdict.passed(f"{name} enforces signatures")


def _aws_managed_key(arn: str, ctx: Context) -> bool:
    if ":alias/aws/" in arn or arn.startswith("alias/aws/"):
        return True
    key = ctx.kms_keys.get(arn)
    return key is not None and key.manager == "AWS"


@rule(
    id="FTR-CODE-002",
    title="Environment variables are not encrypted with a customer-managed KMS key",
    target="function",
    practice=_CI,
    severity=Severity.LOW,
    rationale="""Lambda encrypts environment variables at rest with an AWS managed key by
        default; anyone with lambda:GetFunctionConfiguration can read them. A customer-managed
        key adds a key policy you control, separate audit of decryption, and the ability to
        revoke access.""",
    remediation="""Create a customer-managed KMS key, allow the execution role kms:Decrypt on it,
        and set it as the function's KMSKeyArn.""",
    snippets={
        "cli": "aws lambda update-function-configuration --function-name FUNCTION --kms-key-arn KEY_ARN",
        "cloudformation": "KmsKeyArn: !GetAtt FunctionKey.Arn",
        "terraform": "kms_key_arn = aws_kms_key.fn.arn",
    },
    references={
        "checkov": ["CKV_AWS_173"],
        "prowler": ["awslambda_function_env_vars_not_encrypted_with_cmk"],
        "kics": ["a7f8ac28-eed1-483d-87c8-4c325f022572"],
    },
    controls={"nist-800-53-r5": ["SC-12", "SC-28"], "pci-dss-4.0": ["3.5.1"]},
)
def function_env_cmk(fn: Function, ctx: Context) -> Verdict:
    if not fn.environment:
        return Verdict.not_applicable()
    key = fn.kms_key_arn
    if isinstance(key, Unknown):
        return Verdict.unknown(f"KMS key of the environment is not resolvable: {key.reason}")
    names = [v.name for v in fn.environment]
    if key is None:
        return Verdict.fail(
            f"function {fn.name} has {len(names)} environment variables "
            f"({_listing(names)}) encrypted only with the AWS managed key",
            variables=names,
        )
    if _aws_managed_key(key, ctx):
        return Verdict.fail(
            f"function {fn.name} encrypts its environment with AWS managed key {key}",
            variables=names,
            kms_key=key,
        )
    return Verdict.passed(f"environment encrypted with {key}")


@rule(
    id="FTR-CODE-006",
    title="Deployment package is not encrypted with a customer-managed KMS key",
    target="function",
    practice=_CI,
    severity=Severity.LOW,
    rationale="""Lambda stores a function's .zip deployment package encrypted with an AWS owned
        key unless the function names a customer-managed key (Code.SourceKMSKeyArn). With a key
        of your own, its key policy decides who can have the package decrypted, every use is
        logged in CloudTrail, and disabling the key cuts off access to the stored code. Container
        images are stored in Amazon ECR and are not covered by this setting.""",
    remediation="""Create a customer-managed KMS key, let the deploying principal use it
        (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey), and set it as the function code's
        SourceKMSKeyArn at the next code update.""",
    snippets={
        "cli": (
            "aws lambda update-function-code --function-name FUNCTION "
            "--zip-file fileb://build.zip --source-kms-key-arn KEY_ARN"
        ),
        "cloudformation": (
            "Code:\n  S3Bucket: artifacts\n  S3Key: fn.zip\n"
            "  SourceKMSKeyArn: !GetAtt CodeKey.Arn\n"
            "# SAM: SourceKMSKeyArn: !GetAtt CodeKey.Arn"
        ),
        "terraform": "source_kms_key_arn = aws_kms_key.code.arn",
    },
    controls={"nist-800-53-r5": ["SC-12", "SC-28"], "pci-dss-4.0": ["3.5.1"]},
)
def function_package_cmk(fn: Function, ctx: Context) -> Verdict:
    if fn.package_type == "Image":
        return Verdict.not_applicable()  # the image lives in ECR, encrypted by its repository
    key: object = fn.source_kms_key_arn
    if isinstance(key, Unknown):
        return Verdict.unknown(f"SourceKMSKeyArn is not resolvable: {key.reason}")
    if key is None or key == "":
        return Verdict.fail(
            f"the deployment package of {fn.name} is encrypted only with an AWS owned key"
        )
    if not isinstance(key, str):
        return Verdict.unknown(f"SourceKMSKeyArn is not a key ARN: {key!r}")
    if _aws_managed_key(key, ctx):
        return Verdict.fail(
            f"the deployment package of {fn.name} is encrypted with AWS managed key {key}",
            kms_key=key,
        )
    return Verdict.passed(f"deployment package encrypted with {key}", kms_key=key)


def _bucket_weaknesses(bucket: Bucket) -> tuple[list[str], list[str]]:
    """What the template leaves weak on ``bucket``, and what it leaves unresolvable."""
    weak: list[str] = []
    unresolved: list[str] = []
    encryption: object = bucket.encryption
    if isinstance(encryption, Unknown):
        unresolved.append(f"its encryption is not resolvable ({encryption.reason})")
    elif not encryption:
        weak.append("no default encryption is declared")
    versioning: object = bucket.versioning
    if isinstance(versioning, Unknown):
        unresolved.append(f"its versioning is not resolvable ({versioning.reason})")
    elif not isinstance(versioning, str) or versioning.lower() != "enabled":
        weak.append("versioning is suspended" if versioning else "versioning is not enabled")
    block = bucket.public_access_block
    if isinstance(block, Unknown):
        unresolved.append(f"its public access block is not resolvable ({block.reason})")
    elif block is None:
        weak.append("no public access block is declared")
    else:
        off = [k for k in PUBLIC_ACCESS_SETTINGS if block.get(k) is False or k not in block]
        vague = [k for k in PUBLIC_ACCESS_SETTINGS if isinstance(block.get(k), Unknown)]
        if off:
            weak.append(f"its public access block leaves {', '.join(off)} off")
        if vague:
            unresolved.append(f"{', '.join(vague)} of its public access block not resolvable")
    return weak, unresolved


@rule(
    id="FTR-CODE-007",
    title="S3 bucket holding the deployment package is unencrypted, unversioned or not blocked from public access",
    target="function",
    practice=_CI,
    severity=Severity.MEDIUM,
    rationale="""Whoever can write the package object in the deployment bucket decides the code
        the next deployment installs, and a public or readable bucket hands out the code and
        whatever configuration ships with it. Versioning keeps the object that was reviewed and
        deployed recoverable after an overwrite, a public access block stops a policy or ACL
        from opening the bucket, and default encryption keeps the package encrypted at rest
        under a key policy you choose. Judged only when the bucket is declared in the scanned
        files; a bucket defined elsewhere is reported unknown, never failed on a guess.""",
    remediation="""Enable versioning on the bucket, add a public access block with all four
        settings true, and declare a default encryption rule (SSE-KMS with a customer-managed
        key where the package is sensitive); restrict s3:PutObject on it to the pipeline.""",
    snippets={
        "cloudformation": (
            "ArtifactBucket:\n  Type: AWS::S3::Bucket\n  Properties:\n"
            "    VersioningConfiguration: {Status: Enabled}\n"
            "    BucketEncryption:\n      ServerSideEncryptionConfiguration:\n"
            "        - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}\n"
            "    PublicAccessBlockConfiguration:\n      BlockPublicAcls: true\n"
            "      BlockPublicPolicy: true\n      IgnorePublicAcls: true\n"
            "      RestrictPublicBuckets: true"
        ),
        "terraform": (
            'resource "aws_s3_bucket_versioning" "artifacts" {\n'
            "  bucket = aws_s3_bucket.artifacts.id\n"
            '  versioning_configuration { status = "Enabled" }\n}\n'
            'resource "aws_s3_bucket_public_access_block" "artifacts" {\n'
            "  bucket                  = aws_s3_bucket.artifacts.id\n"
            "  block_public_acls       = true\n  block_public_policy     = true\n"
            "  ignore_public_acls      = true\n  restrict_public_buckets = true\n}"
        ),
    },
    references={
        "checkov": [
            "CKV_AWS_19",
            "CKV_AWS_21",
            "CKV_AWS_53",
            "CKV_AWS_54",
            "CKV_AWS_55",
            "CKV_AWS_56",
        ]
    },
    controls={
        "nist-800-53-r5": ["CM-14", "SI-7", "AC-3", "SC-28"],
        "pci-dss-4.0": ["6.5.1", "3.5.1"],
    },
)
def function_package_bucket(fn: Function, ctx: Context) -> Verdict:
    name: object = fn.package_bucket
    if name is None:
        return Verdict.not_applicable()  # no package in S3, or a live function
    if isinstance(name, Unknown):
        return Verdict.unknown(f"the package bucket of {fn.name} is not resolvable: {name.reason}")
    declared = [b for b in ctx.inventory.buckets if b.name == name]
    if not declared:
        return Verdict.unknown(
            f"package bucket {name} is not declared in the scanned files; "
            "its versioning, encryption and public access cannot be judged",
            bucket=name,
        )
    bucket = declared[0]
    where = (
        f"{bucket.origin.file}:{bucket.origin.line}" if bucket.origin.file else bucket.origin.arn
    )
    weak, unresolved = _bucket_weaknesses(bucket)
    if weak:
        return Verdict.fail(
            f"package bucket {name} of {fn.name}: {'; '.join(weak)}",
            bucket=name,
            bucket_location=where,
            weaknesses=weak,
        )
    if unresolved:
        return Verdict.unknown(f"package bucket {name}: {unresolved[0]}", bucket=name)
    return Verdict.passed(
        f"package bucket {name} is versioned, encrypted and blocked from public access",
        bucket=name,
        bucket_location=where,
    )


def _layer_account(arn: str) -> str | None:
    parsed = parse_layer_arn(arn)
    if parsed is not None:
        return parsed.account
    if TEMPLATE_ACCOUNT in arn:
        return TEMPLATE_ACCOUNT
    return exposure.account_of(arn)


@rule(
    id="FTR-CODE-003",
    title="Function uses a layer from an untrusted account",
    target="function",
    practice=_CI,
    severity=Severity.HIGH,
    rationale="""A layer's code runs inside the function with its role and sees its data and
        secrets. A layer published by an account you do not control can change with a new
        version, or carry malicious code; pinning a version only helps while that version is
        what you reviewed. Layers of AWS and well-known vendors (Powertools for AWS Lambda,
        Lambda Insights, the AppConfig and Parameters and Secrets extensions, ADOT, Datadog,
        New Relic, Sentry, Dynatrace, Elastic) are trusted by default from a dated data file
        listing their accounts and layer names.""",
    remediation="""Copy the layer into your own account (after review), or add its publisher to
        the trusted accounts of the scan configuration (--trusted-account) if you trust it.""",
    snippets={
        "cli": (
            "aws lambda get-layer-version-by-arn --arn LAYER_ARN  # download Content.Location\n"
            "aws lambda publish-layer-version --layer-name NAME --zip-file fileb://layer.zip"
        ),
    },
    references={"prowler": ["awslambda_function_using_cross_account_layers"]},
    controls={"nist-800-53-r5": ["SR-3", "SR-11", "SI-7"], "pci-dss-4.0": ["6.3.2"]},
)
def function_untrusted_layer(fn: Function, ctx: Context) -> Verdict:
    if not fn.layers:
        return Verdict.not_applicable()
    table = publisher_table()
    foreign: list[tuple[str, str]] = []
    unresolved: list[str] = []
    why: list[str] = []  # why each layer is trusted, for the pass message
    for layer in fn.layers:
        arn = layer.arn
        if isinstance(arn, Unknown):
            unresolved.append(arn.reason)
            continue
        if not isinstance(arn, str):  # a template can put any type there
            unresolved.append(f"layer ARN is not text: {arn!r}")
            continue
        account = _layer_account(arn)
        parsed = parse_layer_arn(arn)
        label = parsed.name if parsed is not None else arn
        publisher = table.publisher_of(parsed) if parsed is not None else None
        if account is None:
            unresolved.append(f"no account in layer ARN {arn}")
        elif publisher is not None:
            why.append(f"{label} is published by {publisher.name} (account {account})")
        elif account in (fn.account, TEMPLATE_ACCOUNT):
            why.append(f"{label} is from the function's own account")
        elif ctx.is_trusted_account(account, fn.account):
            why.append(f"{label} is from trusted account {account}")
        else:
            foreign.append((arn, account))
    if foreign:
        described = []
        for arn, acct in foreign:
            known = table.known_account(acct)
            note = f", an account of {known.name} but not one of its layers" if known else ""
            described.append(f"{arn} (account {acct}{note})")
        return Verdict.fail(
            f"function {fn.name} uses layers from untrusted accounts: {_listing(described)}",
            layers=[{"arn": arn, "account": acct} for arn, acct in foreign],
        )
    if unresolved:
        return Verdict.unknown(f"layer of {fn.name} is not resolvable: {unresolved[0]}")
    return Verdict.passed(f"every layer of {fn.name} is trusted: {'; '.join(why)}")


@rule(
    id="FTR-CODE-004",
    title="Layer version is shared publicly or with an untrusted account",
    target="layer",
    practice=_CI,
    severity=Severity.HIGH,
    rationale="""A layer version shared with "*" can be downloaded by any AWS account: its code,
        bundled configuration and any secret left in it are public. Sharing with an account you
        do not trust has the same effect for that account.""",
    remediation="""Remove the layer version permission (or restrict it to your organization with
        --organization-id), and rotate anything sensitive the layer contained.""",
    snippets={
        "cli": (
            "aws lambda remove-layer-version-permission --layer-name NAME "
            "--version-number N --statement-id SID"
        ),
    },
    controls={"nist-800-53-r5": ["AC-3", "AC-21"], "pci-dss-4.0": ["7.2.1"]},
)
def layer_shared(layer: LayerVersion, ctx: Context) -> Verdict:
    policy = layer.policy
    if isinstance(policy, Unknown):
        return Verdict.unknown(f"layer version policy is not resolvable: {policy.reason}")
    if policy is None:
        return Verdict.passed(f"layer {layer.name}:{layer.version} is not shared")
    home = layer.origin.account
    result = exposure.analyse(policy, home)
    public = result.public
    foreign = [
        g
        for g in result.grants
        if g.kind == exposure.ACCOUNT
        and g.account is not None
        and not ctx.is_trusted_account(g.account, home)
    ]
    if public or foreign:
        parts = []
        if public:
            parts.append(f"publicly (Principal *, {public[0].statement.label})")
        if foreign:
            accounts = sorted({g.account for g in foreign if g.account})
            parts.append(f"with untrusted account(s) {_listing(accounts)}")
        return Verdict.fail(
            f"layer {layer.name}:{layer.version} is shared {' and '.join(parts)}",
            grants=[g.to_evidence() for g in [*public, *foreign]],
        )
    undecided = [g for g in result.grants if g.kind == exposure.PUBLIC and g.restriction_unknown]
    if undecided:
        return Verdict.unknown(
            f"{undecided[0].statement.label}: {undecided[0].restriction_unknown[0]}"
        )
    if result.unknown:
        return Verdict.unknown(result.unknown[0])
    return Verdict.passed(
        f"layer {layer.name}:{layer.version} is shared with no public or untrusted principal"
    )
