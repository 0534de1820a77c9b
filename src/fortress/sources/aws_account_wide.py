"""Live account-wide reads besides IAM: the trails of the scanned regions (status, selectors)
and the KMS keys the collected functions and log groups name."""

from __future__ import annotations

from fortress.aws.client import AwsClient
from fortress.inventory import Inventory, KmsKey, Origin, Trail, Unknown

SOURCE = "aws"


def collect_trails(client: AwsClient, account: str, regions: list[str]) -> list[Trail] | None:
    seen: dict[str, Trail] = {}
    failed = False
    for region in regions:
        listed = client.paginate(
            "cloudtrail", region, "describe_trails", "trailList", includeShadowTrails=True
        )
        failed = failed or listed is None
        for t in listed or []:
            arn = t.get("TrailARN", "")
            if arn in seen:
                continue
            home = t.get("HomeRegion") or region
            trail = Trail(
                name=t.get("Name", ""),
                arn=arn,
                origin=Origin(source=SOURCE, account=account, region=home, arn=arn),
                is_multi_region=bool(t.get("IsMultiRegionTrail")),
                home_region=home,
            )
            status = client.call("cloudtrail", home, "get_trail_status", resource=arn, Name=arn)
            trail.is_logging = (
                Unknown("get_trail_status failed")
                if status is None
                else bool(status.get("IsLogging"))
            )
            selectors = client.call(
                "cloudtrail", home, "get_event_selectors", resource=arn, TrailName=arn
            )
            if selectors is None:
                trail.include_management_events = Unknown("get_event_selectors failed")
            else:
                trail.event_selectors = list(selectors.get("EventSelectors") or [])
                trail.advanced_event_selectors = list(selectors.get("AdvancedEventSelectors") or [])
                if trail.event_selectors:
                    trail.include_management_events = any(
                        s.get("IncludeManagementEvents", True) for s in trail.event_selectors
                    )
                elif trail.advanced_event_selectors:
                    trail.include_management_events = any(
                        f.get("Field") == "eventCategory"
                        and "Management" in (f.get("Equals") or [])
                        for s in trail.advanced_event_selectors
                        for f in s.get("FieldSelectors") or []
                    )
            seen[arn] = trail
    if failed and not seen:
        return None
    return list(seen.values())


def collect_keys(client: AwsClient, account: str, inventory: Inventory) -> list[KmsKey]:
    wanted: set[tuple[str | None, str]] = set()
    for fn in inventory.functions:
        if isinstance(fn.kms_key_arn, str):
            wanted.add((fn.region, fn.kms_key_arn))
    for group in inventory.log_groups:
        if isinstance(group.kms_key_id, str):
            wanted.add((group.origin.region, group.kms_key_id))
    keys = []
    for region, key in sorted(wanted, key=lambda k: (k[0] or "", k[1])):
        answer = client.call("kms", region, "describe_key", resource=key, KeyId=key)
        if answer is None:
            continue
        meta = answer.get("KeyMetadata") or {}
        keys.append(
            KmsKey(
                arn=meta.get("Arn", key),
                key_id=meta.get("KeyId", key),
                origin=Origin(source=SOURCE, account=account, region=region, arn=meta.get("Arn")),
                manager=meta.get("KeyManager") or "CUSTOMER",
                aliases=[key] if key != meta.get("Arn") else [],
            )
        )
    return keys
