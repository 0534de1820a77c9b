"""The catalogue of built-in CloudTrail detections for attacks on AWS Lambda.

The SQL of each detection lives in a module per family (:mod:`~fortress.detection.persistence`,
:mod:`~fortress.detection.privilege`, :mod:`~fortress.detection.evasion`), over the shared
pieces of :mod:`~fortress.detection.ruledefs`; this module names them, with their metadata.

Lambda logs its event names with API-version suffixes (``AddPermission20150331v2``); the
normalized ``action`` column has the suffix removed, so rules match every version.
"""

from __future__ import annotations

from typing import Any

from fortress.detection import evasion, persistence, privilege
from fortress.detection.ruledefs import OUT_COLUMNS, DetectionRule
from fortress.findings import Severity

__all__ = ["BY_ID", "DETECTIONS", "OUT_COLUMNS", "DetectionRule", "catalogue", "select"]

# --------------------------------------------------------------------------- the catalogue

DETECTIONS: tuple[DetectionRule, ...] = (
    DetectionRule(
        id="FTR-DET-001",
        title="Lambda resource policy opened to everyone or a foreign account",
        severity=Severity.HIGH,
        techniques=("T1098", "T1546"),
        tactic="persistence",
        rationale=(
            "AddPermission granting '*' or an account outside the organization's trusted list "
            "lets an outsider invoke (or manage) the function: a classic backdoor."
        ),
        false_positives=(
            "Deliberate cross-account integrations: add the partner account to --trusted-accounts.",
            "Public functions behind a function URL meant for anonymous use.",
        ),
        build=persistence.backdoor,
        stratus=("aws.persistence.lambda-backdoor-function",),
    ),
    DetectionRule(
        id="FTR-DET-002",
        title="Lambda function URL created or changed to AuthType NONE",
        severity=Severity.HIGH,
        techniques=("T1133", "T1098"),
        tactic="persistence",
        rationale="A function URL without IAM auth exposes the function to the internet.",
        false_positives=("Public webhooks that authenticate requests in code.",),
        build=persistence.url_none,
    ),
    DetectionRule(
        id="FTR-DET-003",
        title="Layer or extension attached to a function",
        severity=Severity.HIGH,
        techniques=("T1525", "T1546"),
        tactic="persistence",
        rationale=(
            "A layer (or extension) runs inside the function with its role and sees its "
            "events. A layer from a foreign account at create or update is high; a human "
            "adding layers to an existing function by hand is medium."
        ),
        false_positives=(
            "Vendor layers (monitoring, APM): add their publisher accounts to --trusted-accounts.",
            "Engineers testing layers by hand in a sandbox account.",
        ),
        build=persistence.layer_attached,
        stratus=("aws.persistence.lambda-layer-extension",),
    ),
    DetectionRule(
        id="FTR-DET-004",
        title="Layer version shared publicly or with another account",
        severity=Severity.HIGH,
        techniques=("T1537",),
        tactic="exfiltration",
        rationale=(
            "AddLayerVersionPermission to '*' publishes the layer's code (and any secrets "
            "baked into it) to every AWS account."
        ),
        false_positives=("Layers intentionally published for customers or other teams.",),
        build=persistence.layer_shared,
    ),
    DetectionRule(
        id="FTR-DET-005",
        title="Function code overwritten by an unusual principal",
        severity=Severity.HIGH,
        techniques=("T1525",),
        tactic="persistence",
        rationale=(
            "UpdateFunctionCode by a human identity outside known CI user agents (high), or "
            "by a principal that never deployed the function before while others did "
            "(medium), is how attackers plant code in a trusted function."
        ),
        false_positives=(
            "Hot fixes made by hand; new CI roles (first deployment after a CI migration).",
        ),
        build=persistence.code_overwrite,
        stratus=("aws.persistence.lambda-overwrite-code", "aws.persistence.lambda-update-function"),
    ),
    DetectionRule(
        id="FTR-DET-006",
        title="Privilege escalation through a new function and its role",
        severity=Severity.HIGH,
        techniques=("T1548", "T1648"),
        tactic="privilege-escalation",
        rationale=(
            "A principal that creates a function with another role and invokes it (or wires a "
            "trigger or permission to it) soon after runs code with that role's privileges "
            "(iam:PassRole escalation). High when the role has admin policies in the data or "
            "the principal was denied calls (a limited identity)."
        ),
        false_positives=("Developers creating and testing functions by hand.",),
        build=privilege.escalation,
    ),
    DetectionRule(
        id="FTR-DET-007",
        title="Lambda execution-role credentials used outside Lambda",
        severity=Severity.HIGH,
        techniques=("T1552.005", "T1078.004"),
        tactic="credential-access",
        rationale=(
            "Credentials Lambda issued to a function (from its environment or /proc) used "
            "with a user agent that is not a Lambda runtime's point to theft of the keys."
        ),
        false_positives=(
            "Custom runtimes or old SDKs whose user agent lacks exec-env/AWS_Lambda.",
            "Roles shared between Lambda and other compute with the same session names.",
        ),
        build=privilege.creds_outside,
    ),
    DetectionRule(
        id="FTR-DET-008",
        title="Sensitive IAM or STS operation made by a Lambda execution role",
        severity=Severity.HIGH,
        techniques=("T1078.004", "T1098"),
        tactic="privilege-escalation",
        rationale=(
            "Functions rarely change IAM or mint tokens; an execution role doing so is a sign "
            "of a compromised function or stolen role credentials."
        ),
        false_positives=(
            "Automation functions that manage IAM on purpose (account vending, key rotation).",
            "Functions assuming cross-account roles (medium).",
        ),
        build=privilege.sensitive_ops,
    ),
    DetectionRule(
        id="FTR-DET-009",
        title="Event source mapping created by a human identity",
        severity=Severity.MEDIUM,
        techniques=("T1546",),
        tactic="persistence",
        rationale="A trigger wired by hand makes the function run on an attacker's schedule.",
        false_positives=("Manual set-up in sandbox accounts.",),
        build=persistence.trigger,
    ),
    DetectionRule(
        id="FTR-DET-010",
        title="CloudTrail stopped, deleted or its selectors narrowed",
        severity=Severity.HIGH,
        techniques=("T1562.008",),
        tactic="defense-evasion",
        rationale=(
            "Stopping or deleting a trail, or event selectors that drop management, write or "
            "Lambda data events, blinds the detections that rely on them."
        ),
        false_positives=("Planned trail migrations and cost reductions.",),
        build=evasion.trail_tamper,
        stratus=(
            "aws.defense-evasion.cloudtrail-stop",
            "aws.defense-evasion.cloudtrail-delete",
            "aws.defense-evasion.cloudtrail-event-selectors",
        ),
    ),
    DetectionRule(
        id="FTR-DET-011",
        title="Lambda log group deleted or its retention cut",
        severity=Severity.HIGH,
        techniques=("T1562.008", "T1070"),
        tactic="defense-evasion",
        rationale="Deleting /aws/lambda/* logs removes the function's own record of activity.",
        false_positives=("Clean-up of deleted functions; retention tuning in dev accounts.",),
        build=evasion.log_tamper,
    ),
    DetectionRule(
        id="FTR-DET-012",
        title="Burst of Lambda enumeration and code download calls",
        severity=Severity.MEDIUM,
        techniques=("T1526", "T1580"),
        tactic="discovery",
        rationale=(
            "Many GetFunction/ListFunctions/GetPolicy calls by one principal in a few minutes "
            "is reconnaissance; GetFunction returns a link to download each function's code."
        ),
        false_positives=("Inventory and CSPM scanners; consoles listing many functions.",),
        build=evasion.enumeration,
    ),
    DetectionRule(
        id="FTR-DET-013",
        title="Function throttled to zero or deleted by an unusual principal",
        severity=Severity.HIGH,
        techniques=("T1489", "T1485"),
        tactic="impact",
        rationale=(
            "Reserved concurrency 0 silently stops a function; deletion by a principal that "
            "never managed it is destructive and unusual."
        ),
        false_positives=("Kill switches used by operators during incidents.",),
        build=evasion.impact,
    ),
    DetectionRule(
        id="FTR-DET-014",
        title="Lambda activity in an unexpected or never-used region",
        severity=Severity.HIGH,
        techniques=("T1535",),
        tactic="defense-evasion",
        rationale=(
            "Attackers create functions (crypto-mining, persistence, exfiltration relays) in "
            "regions the organization does not watch. Calls in a region outside "
            "expected_regions are high when they change functions (medium for reads); "
            "without that setting, a region whose first Lambda call comes after a day of "
            "the account's history elsewhere is medium (low for reads)."
        ),
        false_positives=(
            "Expansion to a new region: add it to expected_regions in .fortress.yaml.",
            "Disaster-recovery tests and multi-region deployments seen for the first time.",
        ),
        build=evasion.unusual_region,
    ),
    DetectionRule(
        id="FTR-DET-015",
        title="Function given a role that can do more than its caller",
        severity=Severity.HIGH,
        techniques=("T1548", "T1648"),
        tactic="privilege-escalation",
        rationale=(
            "iam:PassRole lets a principal run code as a more privileged role by creating or "
            "reconfiguring a function with it. How much a role can do is judged by the IAM "
            "policy logic on an inventory (--inventory snapshot.json: administrator-level, "
            "known escalation paths, IAM/STS/Organizations writes) or from the data (an admin "
            "policy attached to it). High when the caller is known to do less (a lower-ranked "
            "role of the inventory, or denied in the data an action the role allows); medium "
            "when an administrator or escalation-capable role is passed by a caller whose "
            "permissions are unknown."
        ),
        false_positives=(
            "Deployment pipelines passing service roles: add them to deployers.",
            "Roles whose extra actions are conditioned or bounded (conditions, permission "
            "boundaries and SCPs are not evaluated).",
        ),
        build=privilege.role_passed,
        extra_refs={
            "rhino-security-labs": ["iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction"]
        },
    ),
    DetectionRule(
        id="FTR-DET-016",
        title="Function configuration read by a new principal, then its role or keys used",
        severity=Severity.HIGH,
        techniques=("T1552", "T1078.004", "T1526"),
        tactic="credential-access",
        rationale=(
            "GetFunction and GetFunctionConfiguration return a function's environment (often "
            "holding secrets and keys) and a link to its code. A principal that never touched "
            "the function reading it, and soon after assuming the function's role, a session "
            "of that role calling from outside Lambda, or an access key the function holds "
            "in its environment (matched by fingerprint with --inventory) being used, is the "
            "read-out-then-use pattern of credential theft."
        ),
        false_positives=(
            "Roles shared between Lambda and other compute (ECS, EC2) used from outside "
            "Lambda after an unrelated read (medium unless from the reader's address).",
            "Operators debugging a function and assuming its role on purpose.",
        ),
        build=privilege.readout,
    ),
)

BY_ID = {r.id: r for r in DETECTIONS}


def catalogue() -> list[dict[str, Any]]:
    """Metadata of every built-in detection (``kind: detection``), for ``fortress rules``."""
    return [r.metadata() for r in DETECTIONS]


def select(ids: str | None) -> list[DetectionRule]:
    """The rules named in a comma-separated list (ids or prefixes), or all of them."""
    if not ids:
        return list(DETECTIONS)
    wanted = [i.strip().upper() for i in ids.split(",") if i.strip()]
    chosen = [r for r in DETECTIONS if any(r.id == w or r.id.startswith(w) for w in wanted)]
    unknown = [w for w in wanted if not any(r.id == w or r.id.startswith(w) for r in DETECTIONS)]
    if unknown:
        from fortress.errors import FortressError

        names = ", ".join(r.id for r in DETECTIONS)
        raise FortressError(f"unknown detection id(s): {', '.join(unknown)} (known: {names})")
    return chosen
