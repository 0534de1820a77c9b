"""Logging and monitoring rules: log groups, tracing, failure capture, CloudTrail data events,
API Gateway logging, alarms and GuardDuty Lambda Protection.

Rules read only the Inventory (through the object handed in and the engine Context).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import (
    COLLECTION_ALARMS,
    COLLECTION_LOG_GROUPS,
    COLLECTION_TRAILS,
    PART_INVOKE_CONFIG,
    PART_POLICY,
    Alarm,
    Function,
    RegionStatus,
    Trail,
    Unknown,
)
from fortress.rules.engine import Context, StageTarget, Verdict, rule


def _why(value: object) -> str:
    """The reason of an Unknown value ("" for anything else)."""
    return value.reason if isinstance(value, Unknown) else ""


# Services that invoke Lambda asynchronously when they hold a resource-policy grant.
ASYNC_SERVICES = frozenset(
    {
        "s3.amazonaws.com",
        "sns.amazonaws.com",
        "ses.amazonaws.com",
        "events.amazonaws.com",
        "logs.amazonaws.com",
        "cloudformation.amazonaws.com",
        "codecommit.amazonaws.com",
        "codepipeline.amazonaws.com",
        "config.amazonaws.com",
        "iot.amazonaws.com",
        "iotevents.amazonaws.com",
    }
)
_INVOKE_ACTIONS = frozenset({"lambda:invokefunction", "lambda:invoke*", "lambda:*", "*"})
LAMBDA_TYPE = "AWS::Lambda::Function"
ALARM_METRICS = frozenset({"Errors", "Throttles"})


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _template(ctx: Context) -> bool:
    return ctx.inventory.scope == "template"


# --------------------------------------------------------------------------- FTR-LOG-001


@rule(
    id="FTR-LOG-001",
    title="Function log group is missing or keeps logs forever",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.MEDIUM,
    rationale="""
        When the function's log group does not exist, Lambda creates it on first invocation
        with no retention setting, so logs (which often hold request data, tokens and stack
        traces) are kept forever, outside any lifecycle the team chose, and the group is not
        managed by infrastructure code (no encryption, no retention, drift). An explicit
        retention period that matches the audit requirement (one year or more is common) keeps
        evidence for investigations without unbounded accumulation of sensitive data.
    """,
    remediation="""
        Declare the log group (/aws/lambda/<function> or the LoggingConfig group) in the same
        stack as the function, with an explicit retention period and a KMS key.
    """,
    snippets={
        "cli": "aws logs put-retention-policy --log-group-name /aws/lambda/NAME --retention-in-days 365",
        "cloudformation": (
            "FunctionLogGroup:\n  Type: AWS::Logs::LogGroup\n  Properties:\n"
            "    LogGroupName: !Sub /aws/lambda/${Function}\n    RetentionInDays: 365"
        ),
        "terraform": (
            'resource "aws_cloudwatch_log_group" "fn" {\n'
            '  name              = "/aws/lambda/${aws_lambda_function.this.function_name}"\n'
            "  retention_in_days = 365\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_66", "CKV_AWS_338"],
        "prowler": ["cloudwatch_log_group_retention_policy_specific_days_enabled"],
    },
    controls={
        "nist-800-53-r5": ["AU-4", "AU-11"],
        "pci-dss-4.0": ["10.5.1"],
    },
)
def log_group_retention(fn: Function, ctx: Context) -> Verdict:
    name = fn.effective_log_group
    if isinstance(name, Unknown):
        return Verdict.unknown(f"log group name of {fn.name} is unknown: {_why(name)}")
    group = ctx.log_group_of(fn)
    if group is None and ctx.not_collected(COLLECTION_LOG_GROUPS, fn.region):
        return Verdict.unknown(f"log groups of {fn.region} could not be read")
    if group is None:
        where = "declared in the template" if _template(ctx) else "found in the account"
        return Verdict.fail(
            f"log group {name} of {fn.name} is not {where}: Lambda will create it with no "
            "retention (logs kept forever)",
            log_group=name,
        )
    days = group.retention_days
    if isinstance(days, Unknown):
        return Verdict.unknown(f"retention of log group {name} is unknown: {_why(days)}")
    if days is None:
        return Verdict.fail(f"log group {name} of {fn.name} has no retention (logs kept forever)")
    return Verdict.passed(f"log group {name} keeps logs for {days} days", retention_days=days)


# --------------------------------------------------------------------------- FTR-LOG-002


@rule(
    id="FTR-LOG-002",
    title="Function log group is not encrypted with a KMS key",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.LOW,
    rationale="""
        CloudWatch Logs always encrypts log data, but with a service key that any principal
        with logs:GetLogEvents can use. A customer managed KMS key adds a second, separately
        audited permission (kms:Decrypt) on logs that often contain request payloads, tokens
        and personal data, and lets you revoke access to them by disabling the key.
    """,
    remediation="""
        Create a customer managed KMS key whose policy allows the logs.<region>.amazonaws.com
        service principal, and associate it with the log group.
    """,
    snippets={
        "cli": "aws logs associate-kms-key --log-group-name /aws/lambda/NAME --kms-key-id KEY_ARN",
        "cloudformation": "FunctionLogGroup:\n  Type: AWS::Logs::LogGroup\n  Properties:\n    KmsKeyId: !GetAtt LogsKey.Arn",
        "terraform": "kms_key_id = aws_kms_key.logs.arn",
    },
    references={
        "checkov": ["CKV_AWS_158"],
        "prowler": ["cloudwatch_log_group_kms_encryption_enabled"],
        "trivy": ["AVD-AWS-0017"],
    },
    controls={
        "nist-800-53-r5": ["AU-9", "SC-28"],
        "pci-dss-4.0": ["3.5.1", "10.3.2"],
    },
)
def log_group_kms(fn: Function, ctx: Context) -> Verdict:
    name = fn.effective_log_group
    if isinstance(name, Unknown):
        return Verdict.unknown(f"log group name of {fn.name} is unknown: {_why(name)}")
    group = ctx.log_group_of(fn)
    if group is None and ctx.not_collected(COLLECTION_LOG_GROUPS, fn.region):
        return Verdict.unknown(f"log groups of {fn.region} could not be read")
    if group is None:
        return Verdict.fail(
            f"log group {name} of {fn.name} does not exist yet: Lambda will create it without "
            "a KMS key",
            log_group=name,
        )
    key = group.kms_key_id
    if isinstance(key, Unknown):
        return Verdict.unknown(f"KMS key of log group {name} is unknown: {_why(key)}")
    if not key:
        return Verdict.fail(f"log group {name} of {fn.name} is not encrypted with a KMS key")
    return Verdict.passed(f"log group {name} is encrypted with {key}", kms_key=key)


# --------------------------------------------------------------------------- FTR-LOG-003


@rule(
    id="FTR-LOG-003",
    title="X-Ray active tracing is off",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.LOW,
    rationale="""
        Active tracing records every invocation's path through downstream services (which
        table, which bucket, which external host, how long). In an investigation it shows what
        a compromised function called; in operation it exposes errors and slow dependencies.
        In PassThrough mode the function is traced only when the caller already sampled the
        request.
    """,
    remediation="Set the function's tracing mode to Active and allow xray:PutTraceSegments.",
    snippets={
        "cli": "aws lambda update-function-configuration --function-name NAME --tracing-config Mode=Active",
        "cloudformation": "TracingConfig:\n  Mode: Active",
        "terraform": 'tracing_config {\n  mode = "Active"\n}',
    },
    references={
        "checkov": ["CKV_AWS_50"],
        "kics": [
            "8152e0cf-d2f0-47ad-96d5-d003a76eabd1",
            "9488c451-074e-4cd3-aee3-7db6104f542c",
            "dc1ab429-1481-4540-9b1d-280e3f15f1f8",
        ],
        "trivy": ["AVD-AWS-0066"],
        "securityhub": ["Lambda.7"],
    },
    controls={
        "aws-fsbp": ["Lambda.7"],
        "nist-800-53-r5": ["CA-7"],
    },
)
def tracing_off(fn: Function, ctx: Context) -> Verdict:
    mode = fn.tracing_mode
    if isinstance(mode, Unknown):
        return Verdict.unknown(f"tracing mode of {fn.name} is unknown: {_why(mode)}")
    if mode != "Active":
        return Verdict.fail(f"{fn.name} has X-Ray tracing mode {mode}, not Active", mode=mode)
    return Verdict.passed(f"{fn.name} has active X-Ray tracing")


# --------------------------------------------------------------------------- FTR-LOG-004


def async_sources(policy: dict[str, Any]) -> list[str]:
    """Service principals granted lambda:InvokeFunction that invoke asynchronously."""
    found: list[str] = []
    for stmt in _as_list(policy.get("Statement")):
        if not isinstance(stmt, dict) or stmt.get("Effect", "Allow") != "Allow":
            continue
        actions = {str(a).lower() for a in _as_list(stmt.get("Action"))}
        if not actions & _INVOKE_ACTIONS:
            continue
        principal = stmt.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        for service in _as_list(services):
            if isinstance(service, str) and service in ASYNC_SERVICES and service not in found:
                found.append(service)
    return found


@rule(
    id="FTR-LOG-004",
    title="Asynchronously invoked function has no dead-letter queue or on-failure destination",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.MEDIUM,
    rationale="""
        Events delivered asynchronously (S3, SNS, EventBridge, SES, IoT, CloudWatch Logs ...)
        are retried twice and then dropped when the function keeps failing. Without a
        dead-letter queue or an on-failure destination the failed events, and the evidence of
        what was sent (including malicious payloads that crash the handler), disappear
        silently.
    """,
    remediation="""
        Configure an on-failure destination (SQS, SNS, EventBridge or another function) in the
        function's asynchronous invocation configuration, or a dead-letter queue, and alarm on
        its depth.
    """,
    snippets={
        "cli": (
            "aws lambda put-function-event-invoke-config --function-name NAME "
            '--destination-config \'{"OnFailure":{"Destination":"arn:aws:sqs:REGION:ACCOUNT:dlq"}}\''
        ),
        "cloudformation": (
            "InvokeConfig:\n  Type: AWS::Lambda::EventInvokeConfig\n  Properties:\n"
            "    FunctionName: !Ref Function\n    Qualifier: $LATEST\n"
            "    DestinationConfig:\n      OnFailure:\n        Destination: !GetAtt Dlq.Arn"
        ),
        "terraform": (
            'resource "aws_lambda_function_event_invoke_config" "this" {\n'
            "  function_name = aws_lambda_function.this.function_name\n"
            "  destination_config {\n    on_failure {\n"
            "      destination = aws_sqs_queue.dlq.arn\n    }\n  }\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_116"],
        "prowler": ["awslambda_function_no_dead_letter_queue"],
        "kics": [
            "720f44cf-285e-4b69-8f72-835e6bc1dceb",
            "c2eae442-d3ba-4cb1-84ca-1db4f80eae3d",
            "cb2f612b-ed42-4ff5-9fb9-255c73d39a18",
        ],
    },
    controls={
        "nist-800-53-r5": ["AU-5", "SI-11"],
        "pci-dss-4.0": ["10.7.2"],
    },
)
def async_without_failure_capture(fn: Function, ctx: Context) -> Verdict:
    policy_known = PART_POLICY not in fn.uncollected and not isinstance(fn.resource_policy, Unknown)
    configs_known = PART_INVOKE_CONFIG not in fn.uncollected
    sources: list[str] = []
    if policy_known and isinstance(fn.resource_policy, dict):
        sources = async_sources(fn.resource_policy)
    triggers = list(sources)
    if fn.invoke_configs:
        triggers.append("an asynchronous invocation config")
    if not triggers:
        if not policy_known:
            return Verdict.unknown(
                f"resource policy of {fn.name} could not be read: asynchronous triggers unknown"
            )
        return Verdict.not_applicable()

    dlq = fn.dead_letter_target
    if isinstance(dlq, str) and dlq:
        return Verdict.passed(f"{fn.name} sends failed events to the dead-letter queue {dlq}")
    for cfg in fn.invoke_configs:
        if isinstance(cfg.on_failure, str) and cfg.on_failure:
            return Verdict.passed(
                f"{fn.name} sends failed events to the on-failure destination {cfg.on_failure}"
            )
    unknown_parts = [
        _why(cfg.on_failure) for cfg in fn.invoke_configs if isinstance(cfg.on_failure, Unknown)
    ]
    if isinstance(dlq, Unknown):
        unknown_parts.append(_why(dlq))
    if not configs_known:
        unknown_parts.append("the asynchronous invocation config could not be read")
    if unknown_parts:
        return Verdict.unknown(
            f"{fn.name} is invoked asynchronously but its failure handling is unknown: "
            f"{unknown_parts[0]}",
            triggers=triggers,
        )
    return Verdict.fail(
        f"{fn.name} is invoked asynchronously (by {', '.join(triggers)}) with neither a "
        "dead-letter queue nor an on-failure destination: failed events are dropped",
        triggers=triggers,
    )


# --------------------------------------------------------------------------- FTR-LOG-005


def _partition_all(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 3 and parts[0] == "arn" and parts[2] == "lambda"


def basic_selectors_cover(selectors: Iterable[dict[str, Any]], arn: str) -> bool:
    """True when a basic event selector logs Invoke (a write data event) for ``arn``."""
    for sel in selectors:
        if sel.get("ReadWriteType", "All") not in ("All", "WriteOnly"):
            continue
        for res in _as_list(sel.get("DataResources")):
            if not isinstance(res, dict) or res.get("Type") != LAMBDA_TYPE:
                continue
            for value in _as_list(res.get("Values")):
                if not isinstance(value, str):
                    continue
                if _partition_all(value.rstrip(":")) or value == arn or arn.startswith(value):
                    return True
    return False


def _field_ok(selector: dict[str, Any], value: str) -> bool:
    """Evaluate one advanced field selector's operators against a value (all must hold)."""
    if "Equals" in selector and value not in _as_list(selector["Equals"]):
        return False
    if "NotEquals" in selector and value in _as_list(selector["NotEquals"]):
        return False
    starts = _as_list(selector.get("StartsWith"))
    if "StartsWith" in selector and not any(value.startswith(p) for p in starts):
        return False
    if any(value.startswith(p) for p in _as_list(selector.get("NotStartsWith"))):
        return False
    ends = _as_list(selector.get("EndsWith"))
    if "EndsWith" in selector and not any(value.endswith(p) for p in ends):
        return False
    return not any(value.endswith(p) for p in _as_list(selector.get("NotEndsWith")))


# Values the Invoke data event of a function has for the fields we can evaluate.
def _invoke_event_fields(arn: str) -> dict[str, str]:
    return {
        "eventCategory": "Data",
        "resources.type": LAMBDA_TYPE,
        "resources.ARN": arn,
        "readOnly": "false",
        "eventName": "Invoke",
        "eventSource": "lambda.amazonaws.com",
    }


def advanced_selectors_cover(selectors: Iterable[dict[str, Any]], arn: str) -> bool | None:
    """True/False when decidable; None when a selector filters on fields we cannot judge
    (userIdentity.arn, errorCode ...), so it covers only some of the Invoke events."""
    event = _invoke_event_fields(arn)
    partial = False
    for sel in selectors:
        fields = [f for f in _as_list(sel.get("FieldSelectors")) if isinstance(f, dict)]
        names = {f.get("Field") for f in fields}
        if "eventCategory" not in names or "resources.type" not in names:
            continue  # management events, or not a Lambda data selector
        matches = True
        undecidable = False
        for f in fields:
            field_name = f.get("Field")
            if field_name in event:
                if not _field_ok(f, event[str(field_name)]):
                    matches = False
                    break
            else:
                undecidable = True
        if not matches:
            continue
        if not undecidable:
            return True
        partial = True
    return None if partial else False


def trail_covers(trail: Trail, fn: Function) -> bool | None:
    """Whether ``trail`` records Invoke data events of ``fn``; None when undecidable."""
    if trail.is_logging is False:
        return False
    home = trail.home_region or trail.origin.region
    same_region = home is None or fn.region is None or home == fn.region
    region_ok: bool | None = True
    if trail.is_multi_region is not True and not same_region:
        region_ok = None if isinstance(trail.is_multi_region, Unknown) else False
    if region_ok is False:
        return False
    selected: bool | None = basic_selectors_cover(trail.event_selectors, fn.arn)
    if not selected:
        selected = advanced_selectors_cover(trail.advanced_event_selectors, fn.arn)
    if selected is False:
        return False
    if selected is True and region_ok is True and trail.is_logging is True:
        return True
    return None


@rule(
    id="FTR-LOG-005",
    title="No CloudTrail trail records the function's Invoke data events",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.MEDIUM,
    rationale="""
        CloudTrail records Lambda management calls (CreateFunction, UpdateFunctionCode) by
        default, but not Invoke: that is a data event, logged only when a trail's event
        selectors include the function. Without it there is no record of who invoked the
        function, from where and when, which is the first question in an incident.
    """,
    remediation="""
        Add a data event selector for AWS::Lambda::Function to a logging trail (all functions,
        or the sensitive ones by ARN), with write events included, and keep the trail's
        bucket in a protected log archive account.
    """,
    snippets={
        "cli": (
            "aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors "
            '\'[{"Name":"Lambda invokes","FieldSelectors":[{"Field":"eventCategory",'
            '"Equals":["Data"]},{"Field":"resources.type","Equals":'
            '["AWS::Lambda::Function"]}]}]\''
        ),
        "cloudformation": (
            "AdvancedEventSelectors:\n  - FieldSelectors:\n"
            "      - Field: eventCategory\n        Equals: [Data]\n"
            "      - Field: resources.type\n        Equals: [AWS::Lambda::Function]"
        ),
        "terraform": (
            "advanced_event_selector {\n"
            '  field_selector {\n    field  = "eventCategory"\n    equals = ["Data"]\n  }\n'
            '  field_selector {\n    field  = "resources.type"\n'
            '    equals = ["AWS::Lambda::Function"]\n  }\n}'
        ),
    },
    references={
        "prowler": ["awslambda_function_invoke_api_operations_cloudtrail_logging_enabled"],
    },
    controls={
        "nist-800-53-r5": ["AU-2", "AU-3", "AU-12"],
        "pci-dss-4.0": ["10.2.1", "10.2.2"],
    },
)
def invoke_not_logged(fn: Function, ctx: Context) -> Verdict:
    trails = ctx.trails_for(fn.account)
    undecided: list[str] = []
    if ctx.not_collected(COLLECTION_TRAILS):
        undecided.append("some trails could not be read")
    for trail in trails:
        covered = trail_covers(trail, fn)
        if covered is True:
            return Verdict.passed(f"trail {trail.name} records Invoke events of {fn.name}")
        if covered is None:
            undecided.append(trail.name)
    if undecided:
        return Verdict.unknown(
            f"trail(s) {', '.join(undecided)} may record Invoke events of {fn.name} "
            "(unknown status or selectors filtering on other fields)",
            trails=undecided,
        )
    if _template(ctx):
        return Verdict.unknown(
            f"no trail in the template records Invoke events of {fn.name}; "
            "a trail may be defined elsewhere"
        )
    if not trails:
        return Verdict.fail(
            f"no CloudTrail trail in the account records Invoke events of {fn.name}"
        )
    return Verdict.fail(
        f"none of the trails ({', '.join(t.name for t in trails)}) records Invoke data events "
        f"of {fn.name}",
        trails=[t.name for t in trails],
    )


# --------------------------------------------------------------------------- FTR-LOG-006


@rule(
    id="FTR-LOG-006",
    title="API stage has no access logging or no execution logging",
    target="stage",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.MEDIUM,
    rationale="""
        Access logs record who called which route, from which IP, with which result; execution
        logs (REST APIs) record authorizer decisions, validation failures and integration
        errors. Without them, abuse of an API (credential stuffing, scraping, injection
        attempts rejected by the function) leaves no trace outside the function's own logs.
    """,
    remediation="""
        Enable access logging to a CloudWatch Logs group (or Firehose) on every stage, with a
        format that includes the request id, source IP, caller identity, route and status.
        For REST APIs, also set the stage's execution logging level to ERROR or INFO.
    """,
    snippets={
        "cli": (
            "aws apigateway update-stage --rest-api-id API --stage-name prod --patch-operations "
            "op=replace,path=/accessLogSettings/destinationArn,value=LOG_GROUP_ARN "
            "op=replace,path=/*/*/logging/loglevel,value=ERROR"
        ),
        "cloudformation": (
            "AccessLogSetting:\n  DestinationArn: !GetAtt ApiLogs.Arn\n"
            "  Format: $context.requestId $context.identity.sourceIp $context.routeKey $context.status\n"
            "MethodSettings:\n  - ResourcePath: /*\n    HttpMethod: '*'\n    LoggingLevel: ERROR"
        ),
        "terraform": (
            "access_log_settings {\n  destination_arn = aws_cloudwatch_log_group.api.arn\n"
            '  format          = jsonencode({ requestId = "$context.requestId" })\n}'
        ),
    },
    references={
        "checkov": ["CKV_AWS_76", "CKV_AWS_95", "CKV2_AWS_4"],
        "prowler": [
            "apigateway_restapi_logging_enabled",
            "apigatewayv2_api_access_logging_enabled",
        ],
        "kics": [
            "982aa526-6970-4c59-8b9b-2ce7e019fe36",
            "1b6799eb-4a7a-4b04-9001-8cceb9999326",
            "9111f9a5-6b80-40f9-bc82-c05f970779c3",
            "625abc0e-f980-4ac9-a775-f7519ee34296",
            "80d45af4-4920-4236-a56e-b7ef419d1941",
            "0a994e04-c6dc-471d-817e-d37451d18a3b",
        ],
        "trivy": ["AVD-AWS-0001"],
        "securityhub": ["APIGateway.1", "APIGateway.9"],
    },
    controls={
        "aws-fsbp": ["APIGateway.1", "APIGateway.9"],
        "nist-800-53-r5": ["AU-2", "AU-3", "AU-12", "CA-7"],
        "pci-dss-4.0": ["10.2.1"],
    },
)
def stage_logging(target: StageTarget, ctx: Context) -> Verdict:
    stage, api = target.stage, target.api
    label = f"stage {stage.name} of {api.name}"
    missing: list[str] = []
    unknown: list[str] = []
    access = stage.access_log_destination
    if isinstance(access, Unknown):
        unknown.append(f"access log destination ({_why(access)})")
    elif not access:
        missing.append("access logging")
    if api.kind == "rest":
        level = stage.execution_logging_level
        if isinstance(level, Unknown):
            unknown.append(f"execution logging level ({_why(level)})")
        elif not level or str(level).upper() not in ("ERROR", "INFO"):
            missing.append(f"execution logging (level {level or 'OFF'})")
    if missing:
        return Verdict.fail(f"{label} has no {' and no '.join(missing)}", missing=missing)
    if unknown:
        return Verdict.unknown(f"{label}: {'; '.join(unknown)} unknown")
    return Verdict.passed(f"{label} has access and execution logging")


# --------------------------------------------------------------------------- FTR-LOG-007


# (alarm, metric label) per FunctionName dimension value; "" holds alarms without dimensions
# (aggregated over all functions). Built once per Context: alarms x functions stays linear.
AlarmIndex = dict[str, list[tuple[Alarm, str]]]
_ALARM_INDEXES: weakref.WeakKeyDictionary[Context, AlarmIndex] = weakref.WeakKeyDictionary()


def alarm_index(ctx: Context) -> AlarmIndex:
    index = _ALARM_INDEXES.get(ctx)
    if index is None:
        index = {}
        for alarm in ctx.inventory.alarms:
            metrics = [(alarm.namespace, alarm.metric_name, alarm.dimensions), *alarm.metrics]
            for namespace, metric, dims in metrics:
                if namespace != "AWS/Lambda" or metric not in ALARM_METRICS:
                    continue
                if not dims:
                    index.setdefault("", []).append((alarm, f"{metric} (all functions)"))
                elif "FunctionName" in dims:
                    index.setdefault(dims["FunctionName"], []).append((alarm, str(metric)))
        _ALARM_INDEXES[ctx] = index
    return index


@rule(
    id="FTR-LOG-007",
    title="No CloudWatch alarm on the function's errors or throttles",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.LOW,
    rationale="""
        A sudden rise of errors or throttles is often the first visible sign of abuse
        (fuzzing, a flood of requests, a poisoned event source) or of a broken deployment.
        Logs and metrics are recorded either way, but nobody looks at them unless an alarm
        notifies someone.
    """,
    remediation="""
        Create CloudWatch alarms on the AWS/Lambda Errors and Throttles metrics with dimension
        FunctionName = the function, notifying an SNS topic that reaches the on-call team.
    """,
    snippets={
        "cli": (
            "aws cloudwatch put-metric-alarm --alarm-name NAME-errors --namespace AWS/Lambda "
            "--metric-name Errors --dimensions Name=FunctionName,Value=NAME --statistic Sum "
            "--period 300 --evaluation-periods 1 --threshold 1 "
            "--comparison-operator GreaterThanOrEqualToThreshold --alarm-actions TOPIC_ARN"
        ),
        "cloudformation": (
            "ErrorsAlarm:\n  Type: AWS::CloudWatch::Alarm\n  Properties:\n"
            "    Namespace: AWS/Lambda\n    MetricName: Errors\n"
            "    Dimensions: [{Name: FunctionName, Value: !Ref Function}]\n"
            "    Statistic: Sum\n    Period: 300\n    EvaluationPeriods: 1\n    Threshold: 1\n"
            "    ComparisonOperator: GreaterThanOrEqualToThreshold\n    AlarmActions: [!Ref Topic]"
        ),
        "terraform": (
            'resource "aws_cloudwatch_metric_alarm" "errors" {\n  namespace   = "AWS/Lambda"\n'
            '  metric_name = "Errors"\n'
            "  dimensions  = { FunctionName = aws_lambda_function.this.function_name }\n"
            '  statistic   = "Sum"\n  period      = 300\n  evaluation_periods = 1\n'
            '  threshold   = 1\n  comparison_operator = "GreaterThanOrEqualToThreshold"\n}'
        ),
    },
    controls={
        "nist-800-53-r5": ["AU-6", "SI-4"],
        "pci-dss-4.0": ["10.4.1", "10.7.2"],
    },
)
def no_error_alarm(fn: Function, ctx: Context) -> Verdict:
    index = alarm_index(ctx)
    for alarm, metric in [*index.get(fn.name, []), *index.get("", [])]:
        if alarm.origin.region not in (None, fn.region):
            continue
        if alarm.origin.account not in (None, fn.account):
            continue
        return Verdict.passed(f"alarm {alarm.name} watches {metric} of {fn.name}")
    if ctx.not_collected(COLLECTION_ALARMS, fn.region):
        return Verdict.unknown(f"CloudWatch alarms of {fn.region} could not be read")
    if _template(ctx):
        return Verdict.unknown(
            f"no alarm in the template watches Errors or Throttles of {fn.name}; "
            "alarms may be defined elsewhere"
        )
    return Verdict.fail(f"no CloudWatch alarm watches Errors or Throttles of {fn.name}")


# --------------------------------------------------------------------------- FTR-LOG-008


@rule(
    id="FTR-LOG-008",
    title="GuardDuty Lambda Protection is off",
    target="region",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.MEDIUM,
    rationale="""
        GuardDuty Lambda Protection analyses the network activity of every function invocation
        and reports functions talking to cryptocurrency pools, command-and-control hosts or
        known malicious IPs: the typical outcome of a compromised dependency or injected code.
        With it off, such activity goes unnoticed unless the function is inside a VPC with
        flow logs that someone analyses.
    """,
    remediation="""
        Enable GuardDuty in the region and turn on the Lambda Protection feature
        (LAMBDA_NETWORK_LOGS), organization-wide from the delegated administrator.
    """,
    snippets={
        "cli": (
            "aws guardduty update-detector --detector-id DETECTOR "
            "--features Name=LAMBDA_NETWORK_LOGS,Status=ENABLED"
        ),
        "cloudformation": (
            "Detector:\n  Type: AWS::GuardDuty::Detector\n  Properties:\n    Enable: true\n"
            "    Features:\n      - Name: LAMBDA_NETWORK_LOGS\n        Status: ENABLED"
        ),
        "terraform": (
            'resource "aws_guardduty_detector_feature" "lambda" {\n'
            "  detector_id = aws_guardduty_detector.this.id\n"
            '  name        = "LAMBDA_NETWORK_LOGS"\n  status      = "ENABLED"\n}'
        ),
    },
    references={
        "prowler": ["guardduty_lambda_protection_enabled"],
        "securityhub": ["GuardDuty.6"],
    },
    controls={
        "aws-fsbp": ["GuardDuty.6"],
        "nist-800-53-r5": ["SI-4"],
        "pci-dss-4.0": ["11.5.1"],
    },
)
def guardduty_lambda_off(status: RegionStatus, ctx: Context) -> Verdict:
    value = status.guardduty_lambda_protection
    where = f"{status.account}/{status.region}"
    if value is None:
        return Verdict.not_applicable()
    if not any(
        fn.region == status.region and fn.account in (None, status.account)
        for fn in ctx.inventory.functions
    ):
        return Verdict.not_applicable()  # no function in this region to protect
    if isinstance(value, Unknown):
        return Verdict.unknown(
            f"GuardDuty Lambda Protection status in {where} is unknown: {_why(value)}"
        )
    if not value:
        return Verdict.fail(f"GuardDuty Lambda Protection is off in {where}")
    return Verdict.passed(f"GuardDuty Lambda Protection is on in {where}")
