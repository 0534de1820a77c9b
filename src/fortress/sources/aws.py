"""The live source: read an AWS account's Lambda estate into an Inventory with boto3.

Read-only. Bulk list calls first (functions, event source mappings, security groups, log
groups, alarms, secrets), then a small fixed set of per-function calls in a bounded thread
pool. A failed call becomes a coverage gap and the affected part is marked Unknown (or named
in ``Function.uncollected``) so rules answer "unknown" instead of "pass".
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from fortress.aws.client import AwsClient
from fortress.inventory import (
    COLLECTION_ALARMS,
    COLLECTION_LAYERS,
    COLLECTION_LOAD_BALANCERS,
    COLLECTION_LOG_GROUPS,
    COLLECTION_NETWORK_ACLS,
    COLLECTION_PARAMETERS,
    COLLECTION_ROLES,
    COLLECTION_ROUTE_TABLES,
    COLLECTION_SECRETS,
    COLLECTION_SECURITY_GROUPS,
    COLLECTION_SUBNETS,
    COLLECTION_TRAILS,
    PART_ALIASES,
    PART_CODE_SIGNING,
    PART_CONCURRENCY,
    PART_EVENT_SOURCES,
    PART_INVOKE_CONFIG,
    PART_POLICY,
    PART_TAGS,
    PART_URL,
    PART_VERSIONS,
    Alarm,
    Alias,
    CodeSigning,
    EnvVar,
    EventSourceMapping,
    Function,
    FunctionUrl,
    FunctionVersion,
    Inventory,
    InvokeConfig,
    LayerRef,
    LayerVersion,
    LogGroup,
    Origin,
    RegionStatus,
    Secret,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Unknown,
    VpcConfig,
    unqualified_arn,
)
from fortress.sources import aws_account_wide, aws_elb, aws_iam, aws_network
from fortress.sources.aws_apis import ApiCollector
from fortress.sources.aws_function_extras import FunctionExtras, parameters

SOURCE = "aws"

# progress(stage, done, total): the CLI draws a progress bar from these calls.
Progress = Callable[[str, int, int], None]


def collect(
    client: AwsClient,
    progress: Progress | None = None,
    *,
    versions: bool = True,
    org_client: AwsClient | None = None,
) -> Inventory:
    """Read every requested region of the caller's account.

    ``versions=False`` skips the published-version history of each function (one
    ``list_versions_by_function`` call per function): no posture rule reads it, so a scan can
    do without, while a snapshot (``fortress collect``) keeps it. ``org_client`` reads the
    service control policies (see :func:`fortress.sources.aws_iam.collect_account`).
    """
    account = client.account_id()
    regions = client.regions()
    inventory = Inventory(scope="account", accounts=[account], sources=[SOURCE])
    roles_needed: set[str] = set()
    lock = threading.Lock()

    def one_region(region: str) -> None:
        part = _RegionCollector(client, account, region, progress, versions=versions).collect()
        with lock:
            inventory.extend(part)
            for fn in part.functions:
                if isinstance(fn.role_arn, str):
                    roles_needed.add(fn.role_arn)

    workers = max(1, min(len(regions), 4))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="region") as pool:
        list(pool.map(one_region, regions))

    aws_docs: dict[str, Any] = {}
    listings = aws_iam.Listings(client)  # the roles and local policies, listed once for both
    roles = aws_iam.collect_execution_roles(client, account, roles_needed, aws_docs, listings)
    # Every principal of the account, for FTR-IAM-011 and `iam who-can` (no function: no need).
    iam_account = (
        aws_iam.collect_account(client, account, aws_docs, org_client, listings)
        if inventory.functions
        else None
    )
    if iam_account is not None:
        inventory.iam.append(iam_account)
    if roles is None:
        inventory.uncollected.add(COLLECTION_ROLES)
    inventory.roles.extend(roles or [])
    trails = aws_account_wide.collect_trails(client, account, regions)
    if trails is None:
        inventory.uncollected.add(COLLECTION_TRAILS)
    inventory.trails.extend(trails or [])
    # Keys referenced by functions and log groups, to tell AWS-managed from customer-managed.
    inventory.kms_keys.extend(aws_account_wide.collect_keys(client, account, inventory))
    inventory.functions.sort(key=lambda f: (f.region or "", f.name))
    return inventory


# --------------------------------------------------------------------------- per region


class _RegionCollector(ApiCollector):
    def __init__(
        self,
        client: AwsClient,
        account: str,
        region: str,
        progress: Progress | None,
        *,
        versions: bool = True,
    ) -> None:
        self.client = client
        self.account = account
        self.region = region
        self.progress = progress
        self.versions = versions
        self.failed: set[str] = set()  # "<COLLECTION_*>@<region>" that could not be read
        # Code signing, read region-wide when the endpoint allows (see _code_signing_index):
        # function ARN -> config; None = ask each function.
        self.signed: dict[str, CodeSigning] | None = None
        self._configs: dict[str, CodeSigning] = {}
        self._configs_lock = threading.Lock()
        self.extras = FunctionExtras(client, region)

    def listing(
        self, kind: str, service: str, operation: str, key: str, **kwargs: Any
    ) -> list[Any] | None:
        """A region-wide list call; a failure marks the collection as not collected."""
        items = self.client.paginate(service, self.region, operation, key, **kwargs)
        if items is None:
            self.failed.add(f"{kind}@{self.region}")
        return items

    def origin(self, arn: str | None = None) -> Origin:
        return Origin(source=SOURCE, account=self.account, region=self.region, arn=arn)

    def collect(self) -> Inventory:
        inv = Inventory(scope="account", accounts=[self.account], sources=[SOURCE])
        inv.functions = self.functions()
        inv.layers = self.layers()
        inv.apis = [*self.rest_apis(), *self.http_apis()]
        inv.domains = self.domains()
        if inv.functions:  # load balancers matter only as the way in to a function
            balancers = aws_elb.collect(self.client, self.account, self.region)
            if balancers is None:
                self.failed.add(f"{COLLECTION_LOAD_BALANCERS}@{self.region}")
            inv.load_balancers, inv.target_groups = balancers or ([], [])
        inv.security_groups, inv.subnets = self.network(inv.functions)
        inv.log_groups = self.log_groups(inv.functions)
        inv.alarms = self.alarms()
        inv.secrets = self.secrets()
        found = parameters(self.client, self.account, self.region, inv.functions)
        if found is None:
            self.failed.add(f"{COLLECTION_PARAMETERS}@{self.region}")
        inv.parameters = found or []
        inv.regions = [self.region_status()]
        inv.uncollected = set(self.failed)
        return inv

    # functions ------------------------------------------------------------------------

    def functions(self) -> list[Function]:
        configs = self.client.paginate("lambda", self.region, "list_functions", "Functions")
        if not configs:
            return []
        mappings = self.client.paginate(
            "lambda", self.region, "list_event_source_mappings", "EventSourceMappings"
        )
        by_function: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for mapping in mappings or []:
            by_function[unqualified_arn(mapping.get("FunctionArn", ""))].append(mapping)
        functions = [self._function_from_config(c) for c in configs]
        if any(fn.package_type == "Zip" for fn in functions):
            self.signed = self._code_signing_index()
        for fn in functions:
            if mappings is None:
                fn.uncollected.add(PART_EVENT_SOURCES)
            fn.event_source_mappings = [_mapping(m) for m in by_function.get(fn.arn, [])]
        done = 0
        lock = threading.Lock()

        def details(fn: Function) -> None:
            nonlocal done
            self._function_details(fn)
            with lock:
                done += 1
                if self.progress:
                    self.progress(f"{self.region} functions", done, len(functions))

        with ThreadPoolExecutor(
            max_workers=self.client.options.max_workers, thread_name_prefix="fn"
        ) as pool:
            list(pool.map(details, functions))
        return functions

    def _function_from_config(self, cfg: dict[str, Any]) -> Function:
        arn = cfg["FunctionArn"]
        env = cfg.get("Environment") or {}
        vpc = cfg.get("VpcConfig") or {}
        logging = cfg.get("LoggingConfig") or {}
        fn = Function(
            name=cfg["FunctionName"],
            arn=arn,
            origin=self.origin(arn),
            runtime=cfg.get("Runtime"),
            handler=cfg.get("Handler"),
            package_type=cfg.get("PackageType") or "Zip",
            role_arn=cfg.get("Role"),
            memory_size=int(cfg.get("MemorySize") or 128),
            timeout=int(cfg.get("Timeout") or 3),
            environment=[EnvVar(k, str(v)) for k, v in (env.get("Variables") or {}).items()],
            kms_key_arn=cfg.get("KMSKeyArn") or None,
            vpc=VpcConfig(
                subnet_ids=list(vpc.get("SubnetIds") or []),
                security_group_ids=list(vpc.get("SecurityGroupIds") or []),
                vpc_id=vpc.get("VpcId") or None,
            )
            if vpc.get("SubnetIds")
            else None,
            tracing_mode=(cfg.get("TracingConfig") or {}).get("Mode") or "PassThrough",
            dead_letter_target=(cfg.get("DeadLetterConfig") or {}).get("TargetArn") or None,
            log_group_name=logging.get("LogGroup") or None,
            log_format=logging.get("LogFormat"),
            application_log_level=logging.get("ApplicationLogLevel") or None,
            ephemeral_storage_mb=int((cfg.get("EphemeralStorage") or {}).get("Size") or 512),
            file_systems=[fs.get("Arn", "") for fs in cfg.get("FileSystemConfigs") or []],
            layers=[LayerRef(layer["Arn"]) for layer in cfg.get("Layers") or []],
            last_modified=_parse_time(cfg.get("LastModified")),
            code_sha256=cfg.get("CodeSha256"),
            code_size=cfg.get("CodeSize"),
            architectures=list(cfg.get("Architectures") or ["x86_64"]),
        )
        return fn

    def _function_details(self, fn: Function) -> None:
        call = self.client.call
        region, name = self.region, fn.name
        self.extras.runtime_management(fn)
        self.extras.recursion(fn)

        got = call("lambda", region, "get_function", resource=fn.arn, FunctionName=name)
        if got is None:
            fn.uncollected.update({PART_TAGS, PART_CONCURRENCY})
            fn.tags = Unknown("get_function failed")
            fn.reserved_concurrency = Unknown("get_function failed")
            fn.source_kms_key_arn = Unknown("get_function failed")
        else:
            fn.tags = dict(got.get("Tags") or {})
            fn.source_kms_key_arn = (got.get("Code") or {}).get("SourceKMSKeyArn") or None
            concurrency = (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
            fn.reserved_concurrency = int(concurrency) if concurrency is not None else None

        fn.resource_policy = self._policy(fn, None)

        aliases = self.client.paginate(
            "lambda", region, "list_aliases", "Aliases", resource=fn.arn, FunctionName=name
        )
        if aliases is None:
            fn.uncollected.add(PART_ALIASES)
        else:
            fn.aliases = [
                Alias(
                    name=a["Name"],
                    function_version=a.get("FunctionVersion", ""),
                    routing={
                        k: float(v)
                        for k, v in (
                            (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                        ).items()
                    },
                )
                for a in aliases
            ]

        versions = (
            self.client.paginate(
                "lambda",
                region,
                "list_versions_by_function",
                "Versions",
                resource=fn.arn,
                FunctionName=name,
            )
            if self.versions
            else []
        )
        if versions is None:
            fn.uncollected.add(PART_VERSIONS)
        else:
            fn.versions = [
                FunctionVersion(
                    version=v.get("Version", ""),
                    code_sha256=v.get("CodeSha256"),
                    last_modified=_parse_time(v.get("LastModified")),
                    description=v.get("Description") or "",
                )
                for v in versions
                if v.get("Version") != "$LATEST"
            ]

        # Function URLs: the unqualified one plus one per alias (list_function_url_configs
        # would do it in one call, but is missing on some endpoints).
        for qualifier in [None, *(a.name for a in fn.aliases)]:
            kwargs: dict[str, Any] = {"FunctionName": name}
            if qualifier:
                kwargs["Qualifier"] = qualifier
            outcome = self.client.attempt(
                "lambda", region, "get_function_url_config", resource=fn.arn, **kwargs
            )
            url = outcome.value
            if outcome.gap:
                self.client.record(outcome.gap)
                fn.uncollected.add(PART_URL)
            elif url is not None:
                cors = url.get("Cors") or {}
                fn.urls.append(
                    FunctionUrl(
                        auth_type=url.get("AuthType") or "AWS_IAM",
                        url=url.get("FunctionUrl"),
                        qualifier=qualifier,
                        cors_allow_origins=list(cors.get("AllowOrigins") or []),
                        cors_allow_credentials=bool(cors.get("AllowCredentials")),
                    )
                )
            if qualifier:
                policy = self._policy(fn, qualifier)
                fn.resource_policy = _merge_policies(fn.resource_policy, policy)

        if fn.package_type == "Zip" and self.signed is not None:
            fn.code_signing = self.signed.get(fn.arn)
        elif fn.package_type == "Zip":
            outcome = self.client.attempt(
                "lambda",
                region,
                "get_function_code_signing_config",
                resource=fn.arn,
                FunctionName=name,
            )
            csc = outcome.value
            if outcome.gap:
                self.client.record(outcome.gap)
                fn.uncollected.add(PART_CODE_SIGNING)
                fn.code_signing = Unknown("get_function_code_signing_config failed")
            elif csc and csc.get("CodeSigningConfigArn"):
                fn.code_signing = self._code_signing(csc["CodeSigningConfigArn"])

        listed = self.client.attempt(
            "lambda",
            region,
            "list_function_event_invoke_configs",
            resource=fn.arn,
            FunctionName=name,
        )
        configs: list[dict[str, Any]] = list(
            (listed.value or {}).get("FunctionEventInvokeConfigs") or []
        )
        if listed.failed:
            # Fall back to the single-qualifier call, which more endpoints implement.
            single = self.client.attempt(
                "lambda",
                region,
                "get_function_event_invoke_config",
                resource=fn.arn,
                FunctionName=name,
            )
            if single.gap:
                self.client.record(single.gap)
                fn.uncollected.add(PART_INVOKE_CONFIG)
            configs = [single.value] if single.value else []
        for cfg in configs:
            dest = cfg.get("DestinationConfig") or {}
            fn.invoke_configs.append(
                InvokeConfig(
                    on_failure=(dest.get("OnFailure") or {}).get("Destination"),
                    on_success=(dest.get("OnSuccess") or {}).get("Destination"),
                    maximum_retry_attempts=cfg.get("MaximumRetryAttempts"),
                    qualifier=_qualifier(cfg.get("FunctionArn", "")),
                )
            )

    def _policy(self, fn: Function, qualifier: str | None) -> dict[str, Any] | Unknown | None:
        kwargs: dict[str, Any] = {"FunctionName": fn.name}
        if qualifier:
            kwargs["Qualifier"] = qualifier
        outcome = self.client.attempt(
            "lambda", self.region, "get_policy", resource=fn.arn, **kwargs
        )
        if outcome.gap:
            self.client.record(outcome.gap)
            fn.uncollected.add(PART_POLICY)
            return Unknown(f"get_policy failed ({outcome.gap.error_code})")
        return None if outcome.value is None else aws_iam.json_document(outcome.value.get("Policy"))

    def _code_signing(self, arn: str) -> CodeSigning:
        """The code signing config ``arn``, read once per region however many functions use it.

        Functions get their own copy, so that nothing downstream shares mutable state.
        """
        with self._configs_lock:  # held during the call: configs are few, functions many
            known = self._configs.get(arn)
            if known is None:
                answer = self.client.call(
                    "lambda",
                    self.region,
                    "get_code_signing_config",
                    resource=arn,
                    CodeSigningConfigArn=arn,
                )
                if answer is None:
                    known = CodeSigning(
                        arn=arn,
                        untrusted_artifact_on_deployment=Unknown("get_code_signing_config failed"),
                    )
                else:
                    known = _signing_config(arn, answer.get("CodeSigningConfig") or {})
                self._configs[arn] = known
        return _copy_signing(known)

    def _code_signing_index(self) -> dict[str, CodeSigning] | None:
        """Function ARN -> code signing config for the whole region, in a few calls.

        A function can only use a code signing config of its own account and region, so
        ``list_code_signing_configs`` plus ``list_functions_by_code_signing_config`` per config
        answers for every function at once (and an empty list means no function is signed),
        instead of one ``get_function_code_signing_config`` per function. None when the
        endpoint does not allow these calls: each function is then asked, as before, and the
        failure of the bulk path is no coverage gap since the fallback reads the same facts.
        """
        listed, gap = self.client.attempt_pages(
            "lambda", self.region, "list_code_signing_configs", "CodeSigningConfigs"
        )
        if gap is not None or listed is None:
            return None
        index: dict[str, CodeSigning] = {}
        for cfg in listed:
            arn = cfg.get("CodeSigningConfigArn")
            if not arn:
                return None
            users, gap = self.client.attempt_pages(
                "lambda",
                self.region,
                "list_functions_by_code_signing_config",
                "FunctionArns",
                CodeSigningConfigArn=arn,
            )
            if gap is not None or users is None:
                return None
            config = _signing_config(arn, cfg)
            with self._configs_lock:
                self._configs[arn] = config
            for user in users:
                index[unqualified_arn(str(user))] = _copy_signing(config)
        return index

    # layers -----------------------------------------------------------------------------

    def layers(self) -> list[LayerVersion]:
        layers = self.listing(COLLECTION_LAYERS, "lambda", "list_layers", "Layers") or []
        result: list[LayerVersion] = []
        for layer in layers:
            name = layer.get("LayerName", "")
            versions = (
                self.client.paginate(
                    "lambda",
                    self.region,
                    "list_layer_versions",
                    "LayerVersions",
                    resource=layer.get("LayerArn"),
                    LayerName=name,
                )
                or []
            )
            for version in versions:
                arn = version.get("LayerVersionArn", "")
                number = int(version.get("Version") or 0)
                outcome = self.client.attempt(
                    "lambda",
                    self.region,
                    "get_layer_version_policy",
                    resource=arn,
                    LayerName=name,
                    VersionNumber=number,
                )
                policy: dict[str, Any] | Unknown | None = None
                if outcome.gap:
                    self.client.record(outcome.gap)
                    policy = Unknown(f"get_layer_version_policy failed ({outcome.gap.error_code})")
                elif outcome.value is not None:
                    policy = aws_iam.json_document(outcome.value.get("Policy"))
                result.append(
                    LayerVersion(
                        arn=arn,
                        name=name,
                        version=number,
                        origin=self.origin(arn),
                        policy=policy,
                        compatible_runtimes=list(version.get("CompatibleRuntimes") or []),
                    )
                )
        return result

    # API Gateway ---------------------------------------------------------------------------

    def network(self, functions: list[Function]) -> tuple[list[SecurityGroup], list[Subnet]]:
        group_ids = sorted(
            {g for f in functions if f.vpc for g in f.vpc.security_group_ids if isinstance(g, str)}
        )
        subnet_ids = sorted(
            {s for f in functions if f.vpc for s in f.vpc.subnet_ids if isinstance(s, str)}
        )
        groups: list[SecurityGroup] = []
        subnets: list[Subnet] = []
        for chunk in _chunks(group_ids, 190):
            for g in (
                self.listing(
                    COLLECTION_SECURITY_GROUPS,
                    "ec2",
                    "describe_security_groups",
                    "SecurityGroups",
                    Filters=[{"Name": "group-id", "Values": chunk}],
                )
                or []
            ):
                arn = f"arn:aws:ec2:{self.region}:{self.account}:security-group/{g['GroupId']}"
                groups.append(
                    SecurityGroup(
                        id=g["GroupId"],
                        name=g.get("GroupName", g["GroupId"]),
                        origin=self.origin(arn),
                        vpc_id=g.get("VpcId"),
                        ingress=[_sg_rule(p) for p in g.get("IpPermissions") or []],
                        egress=[_sg_rule(p) for p in g.get("IpPermissionsEgress") or []],
                    )
                )
        for chunk in _chunks(subnet_ids, 190):
            for s in (
                self.listing(
                    COLLECTION_SUBNETS,
                    "ec2",
                    "describe_subnets",
                    "Subnets",
                    Filters=[{"Name": "subnet-id", "Values": chunk}],
                )
                or []
            ):
                subnets.append(
                    Subnet(
                        id=s["SubnetId"],
                        origin=self.origin(s.get("SubnetArn")),
                        vpc_id=s.get("VpcId"),
                        availability_zone=s.get("AvailabilityZone"),
                    )
                )
        vpcs = sorted({s.vpc_id for s in subnets if s.vpc_id})
        if vpcs:
            vpc_filter = [{"Name": "vpc-id", "Values": vpcs}]
            aws_network.apply_route_tables(
                subnets,
                self.listing(
                    COLLECTION_ROUTE_TABLES,
                    "ec2",
                    "describe_route_tables",
                    "RouteTables",
                    Filters=vpc_filter,
                ),
            )
            aws_network.apply_network_acls(
                subnets,
                self.listing(
                    COLLECTION_NETWORK_ACLS,
                    "ec2",
                    "describe_network_acls",
                    "NetworkAcls",
                    Filters=vpc_filter,
                ),
            )
        return groups, subnets

    # logging ------------------------------------------------------------------------------

    def log_groups(self, functions: list[Function]) -> list[LogGroup]:
        groups: dict[str, dict[str, Any]] = {}
        if functions:
            for g in (
                self.listing(
                    COLLECTION_LOG_GROUPS,
                    "logs",
                    "describe_log_groups",
                    "logGroups",
                    logGroupNamePrefix="/aws/lambda/",
                )
                or []
            ):
                groups[g["logGroupName"]] = g
        custom = {
            f.log_group_name
            for f in functions
            if isinstance(f.log_group_name, str) and f.log_group_name not in groups
        }
        for name in sorted(custom):
            for g in (
                self.client.paginate(
                    "logs",
                    self.region,
                    "describe_log_groups",
                    "logGroups",
                    resource=name,
                    logGroupNamePrefix=name,
                )
                or []
            ):
                if g["logGroupName"] == name:
                    groups[name] = g
        return [
            LogGroup(
                name=name,
                origin=self.origin(g.get("arn")),
                retention_days=g.get("retentionInDays"),
                kms_key_id=g.get("kmsKeyId"),
            )
            for name, g in sorted(groups.items())
        ]

    def alarms(self) -> list[Alarm]:
        result = []
        for a in (
            self.listing(COLLECTION_ALARMS, "cloudwatch", "describe_alarms", "MetricAlarms") or []
        ):
            metrics = []
            for query in a.get("Metrics") or []:
                metric = (query.get("MetricStat") or {}).get("Metric") or {}
                if metric:
                    metrics.append(
                        (
                            metric.get("Namespace", ""),
                            metric.get("MetricName", ""),
                            {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []},
                        )
                    )
            result.append(
                Alarm(
                    name=a.get("AlarmName", ""),
                    origin=self.origin(a.get("AlarmArn")),
                    namespace=a.get("Namespace"),
                    metric_name=a.get("MetricName"),
                    dimensions={d["Name"]: d["Value"] for d in a.get("Dimensions") or []},
                    metrics=metrics,
                )
            )
        return result

    def secrets(self) -> list[Secret]:
        return [
            Secret(
                arn=s["ARN"],
                name=s.get("Name", ""),
                origin=self.origin(s["ARN"]),
                rotation_enabled=bool(s.get("RotationEnabled")),
                kms_key_id=s.get("KmsKeyId"),
            )
            for s in self.listing(
                COLLECTION_SECRETS, "secretsmanager", "list_secrets", "SecretList"
            )
            or []
        ]

    # account services ---------------------------------------------------------------------

    def region_status(self) -> RegionStatus:
        status = RegionStatus(account=self.account, region=self.region, origin=self.origin())
        detectors = self.client.paginate("guardduty", self.region, "list_detectors", "DetectorIds")
        if detectors is None:
            status.guardduty_lambda_protection = Unknown("guardduty list_detectors failed")
        elif not detectors:
            status.guardduty_lambda_protection = False
        else:
            detector = self.client.call(
                "guardduty", self.region, "get_detector", DetectorId=detectors[0]
            )
            if detector is None:
                status.guardduty_lambda_protection = Unknown("guardduty get_detector failed")
            else:
                features = {f.get("Name"): f.get("Status") for f in detector.get("Features") or []}
                status.guardduty_lambda_protection = (
                    detector.get("Status", "ENABLED") == "ENABLED"
                    and features.get("LAMBDA_NETWORK_LOGS") == "ENABLED"
                )
        answer = self.client.call(
            "inspector2", self.region, "batch_get_account_status", accountIds=[self.account]
        )
        if answer is None:
            status.inspector_lambda_scanning = Unknown("inspector2 batch_get_account_status failed")
        else:
            accounts = answer.get("accounts") or []
            state = (
                ((accounts[0].get("resourceState") or {}).get("lambda") or {}).get("status")
                if accounts
                else None
            )
            status.inspector_lambda_scanning = state == "ENABLED"
        return status


# --------------------------------------------------------------------------- IAM (global)


# --------------------------------------------------------------------------- helpers


def _signing_config(arn: str, cfg: dict[str, Any]) -> CodeSigning:
    """A CodeSigningConfig as get_code_signing_config / list_code_signing_configs return it."""
    policies = cfg.get("CodeSigningPolicies") or {}
    return CodeSigning(
        arn=arn,
        untrusted_artifact_on_deployment=policies.get("UntrustedArtifactOnDeployment") or "Warn",
        allowed_publishers=list(
            (cfg.get("AllowedPublishers") or {}).get("SigningProfileVersionArns") or []
        ),
    )


def _copy_signing(cfg: CodeSigning) -> CodeSigning:
    return CodeSigning(
        arn=cfg.arn,
        untrusted_artifact_on_deployment=cfg.untrusted_artifact_on_deployment,
        allowed_publishers=list(cfg.allowed_publishers),
    )


def _merge_policies(base: Any, extra: Any) -> Any:
    if isinstance(base, Unknown) or extra is None:
        return base
    if isinstance(extra, Unknown):
        return extra
    if base is None:
        return extra
    statements = list(_as_list(base.get("Statement"))) + list(_as_list(extra.get("Statement")))
    return {**base, "Statement": statements}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _qualifier(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else None


def _mapping(m: dict[str, Any]) -> EventSourceMapping:
    return EventSourceMapping(
        uuid=m.get("UUID", ""),
        event_source_arn=m.get("EventSourceArn") or "",
        state=m.get("State"),
        on_failure_destination=((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        ),
    )


def _sg_rule(permission: dict[str, Any]) -> SecurityGroupRule:
    return SecurityGroupRule(
        protocol=str(permission.get("IpProtocol", "-1")),
        from_port=permission.get("FromPort"),
        to_port=permission.get("ToPort"),
        cidrs=[r.get("CidrIp") for r in permission.get("IpRanges") or [] if r.get("CidrIp")]
        + [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges") or [] if r.get("CidrIpv6")],
        source_groups=[g.get("GroupId", "") for g in permission.get("UserIdGroupPairs") or []],
        prefix_lists=[p.get("PrefixListId", "") for p in permission.get("PrefixListIds") or []],
    )


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    text = str(value)
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
