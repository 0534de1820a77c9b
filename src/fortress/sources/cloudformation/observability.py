"""Logging and monitoring: log groups, alarms, trails."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fortress.inventory import (
    Alarm,
    LogGroup,
    Trail,
    Unknown,
)
from fortress.sources.cfn_intrinsics import plain
from fortress.sources.cloudformation.model import (
    as_list,
    dims_of,
    opt_str,
    to_bool,
    to_int,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_logs(b: Builder) -> None:
    for res in b.of_type("AWS::Logs::LogGroup"):
        retention = b.prop(res, "RetentionInDays")
        kms = b.prop(res, "KmsKeyId")
        b.inv.log_groups.append(
            LogGroup(
                name=b.resolver.refs[res.logical_id],
                origin=res.origin,
                retention_days=to_int(retention) if retention is not None else None,
                kms_key_id=kms,
            )
        )
    for res in b.of_type("AWS::CloudWatch::Alarm"):
        alarm = Alarm(
            name=b.name_of(res, "AlarmName"),
            origin=res.origin,
            namespace=opt_str(b.prop(res, "Namespace")),
            metric_name=opt_str(b.prop(res, "MetricName")),
            dimensions=dims_of(b.prop(res, "Dimensions", [])),
        )
        for metric in as_list(b.prop(res, "Metrics", [])):
            stat = metric.get("MetricStat") if isinstance(metric, Mapping) else None
            inner = stat.get("Metric") if isinstance(stat, Mapping) else None
            if isinstance(inner, Mapping):
                alarm.metrics.append(
                    (
                        str(inner.get("Namespace", "")),
                        str(inner.get("MetricName", "")),
                        dims_of(inner.get("Dimensions", [])),
                    )
                )
        b.inv.alarms.append(alarm)
    for res in b.of_type("AWS::CloudTrail::Trail"):
        name = b.name_of(res, "TrailName")
        selectors = [
            plain(s) for s in as_list(b.prop(res, "EventSelectors", [])) if isinstance(s, Mapping)
        ]
        advanced = [
            plain(s)
            for s in as_list(b.prop(res, "AdvancedEventSelectors", []))
            if isinstance(s, Mapping)
        ]
        management: bool | Unknown = True
        if selectors:
            management = any(
                to_bool(s.get("IncludeManagementEvents", True)) is True for s in selectors
            )
        elif advanced:
            management = "Management" in json.dumps(advanced)
        b.inv.trails.append(
            Trail(
                name=name,
                arn=b.arn("cloudtrail", f"trail/{name}"),
                origin=res.origin,
                is_multi_region=to_bool(b.prop(res, "IsMultiRegionTrail", False)),
                is_logging=to_bool(b.prop(res, "IsLogging", True)),
                include_management_events=management,
                event_selectors=selectors,
                advanced_event_selectors=advanced,
                home_region=b.options.region,
            )
        )
