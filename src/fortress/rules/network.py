"""Network-isolation rules: VPC placement, Availability Zones, security groups, public subnets,
network ACLs.

Rules read only the Inventory (through the object handed in and the engine Context).
"""

from __future__ import annotations

from fortress.findings import Practice, Severity
from fortress.inventory import (
    Function,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Unknown,
)
from fortress.rules.engine import Context, Verdict, rule


def _why(value: object) -> str:
    """The reason of an Unknown value ("" for anything else)."""
    return value.reason if isinstance(value, Unknown) else ""


ANYWHERE = ("0.0.0.0/0", "::/0")
_ALL_PROTOCOLS = ("-1", "all")


def in_vpc(fn: Function) -> bool:
    """True when the function is attached to a VPC (subnets or security groups given)."""
    return fn.vpc is not None and bool(fn.vpc.subnet_ids or fn.vpc.security_group_ids)


def describe_ports(r: SecurityGroupRule) -> str:
    """A short human description of a rule's protocol and port range."""
    proto = str(r.protocol).lower()
    if proto in _ALL_PROTOCOLS:
        return "all traffic (all protocols, all ports)"
    if proto in ("icmp", "1", "icmpv6", "58"):
        return (
            f"{proto} (all types)" if r.from_port in (None, -1) else f"{proto} type {r.from_port}"
        )
    if r.from_port is None and r.to_port is None:
        return f"{proto} all ports"
    low = r.from_port if r.from_port is not None else 0
    high = r.to_port if r.to_port is not None else low
    if low <= 0 and high >= 65535:
        return f"{proto} all ports (0-65535)"
    if low == high:
        return f"{proto} port {low}"
    return f"{proto} ports {low}-{high}"


def _all_ports(r: SecurityGroupRule) -> bool:
    if str(r.protocol).lower() in _ALL_PROTOCOLS:
        return True
    if str(r.protocol).lower() not in ("tcp", "6", "udp", "17"):
        return False
    low = r.from_port if r.from_port is not None else 0
    high = r.to_port if r.to_port is not None else 65535
    return low <= 0 and high >= 65535


def _users(group: SecurityGroup, ctx: Context) -> list[str]:
    return sorted(fn.name for fn in ctx.functions_with_security_group(group.id))


# --------------------------------------------------------------------------- FTR-NET-001


@rule(
    id="FTR-NET-001",
    title="Function is not attached to a VPC",
    target="function",
    practice=Practice.NETWORK_ISOLATION,
    severity=Severity.LOW,
    rationale="""
        A function outside a VPC runs in the Lambda-managed network with unrestricted outbound
        internet access: no security group, network ACL, VPC endpoint policy or flow log applies
        to its traffic, so exfiltration from a compromised function is unconstrained and
        unobserved. Attaching a VPC is a design choice, not a universal requirement: functions
        that only call public AWS APIs gain little and pay with NAT cost and cold-start
        latency, while data-plane functions that reach private resources (databases, caches,
        internal services) need one, with private subnets and VPC endpoints.
    """,
    remediation="""
        If the function reaches private resources or must have controlled egress, attach it to
        at least two private subnets in different Availability Zones with a dedicated security
        group, and reach AWS services through VPC endpoints. Otherwise suppress this finding
        for the function with a reason.
    """,
    snippets={
        "cli": (
            "aws lambda update-function-configuration --function-name NAME "
            "--vpc-config SubnetIds=subnet-a,subnet-b,SecurityGroupIds=sg-fn"
        ),
        "cloudformation": (
            "VpcConfig:\n  SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]\n"
            "  SecurityGroupIds: [!Ref FunctionSecurityGroup]"
        ),
        "terraform": (
            "vpc_config {\n  subnet_ids         = [aws_subnet.private_a.id, aws_subnet.private_b.id]\n"
            "  security_group_ids = [aws_security_group.fn.id]\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_117"],
        "prowler": ["awslambda_function_inside_vpc"],
        "securityhub": ["Lambda.3"],
    },
    controls={
        "aws-fsbp": ["Lambda.3"],
        "nist-800-53-r5": ["AC-4", "SC-7"],
        "pci-dss-4.0": ["1.3.1", "1.3.2"],
    },
)
def function_not_in_vpc(fn: Function, ctx: Context) -> Verdict:
    if in_vpc(fn):
        return Verdict.passed(f"{fn.name} is attached to a VPC")
    return Verdict.fail(
        f"{fn.name} is not attached to a VPC: its egress is unrestricted and unlogged "
        "(a design choice; only functions reaching private resources need a VPC)"
    )


# --------------------------------------------------------------------------- FTR-NET-002


@rule(
    id="FTR-NET-002",
    title="VPC function's subnets are all in one Availability Zone",
    target="function",
    practice=Practice.NETWORK_ISOLATION,
    severity=Severity.MEDIUM,
    rationale="""
        Lambda places a VPC function's network interfaces only in the subnets it is given. When
        all of them sit in one Availability Zone, an outage of that zone stops the function
        entirely, although Lambda itself is multi-AZ. Availability is part of security
        (confidentiality, integrity, availability).
    """,
    remediation="""
        Give the function subnets in at least two Availability Zones (one private subnet per
        zone), with the same security groups.
    """,
    snippets={
        "cli": (
            "aws lambda update-function-configuration --function-name NAME "
            "--vpc-config SubnetIds=subnet-in-az-a,subnet-in-az-b,SecurityGroupIds=sg-fn"
        ),
        "cloudformation": (
            "VpcConfig:\n  SubnetIds: [!Ref PrivateSubnetAzA, !Ref PrivateSubnetAzB]"
        ),
        "terraform": (
            "vpc_config {\n  subnet_ids = [aws_subnet.private_a.id, aws_subnet.private_b.id]\n"
            "  security_group_ids = [aws_security_group.fn.id]\n}"
        ),
    },
    references={
        "prowler": ["awslambda_function_vpc_multi_az"],
        "securityhub": ["Lambda.5"],
    },
    controls={
        "aws-fsbp": ["Lambda.5"],
        "nist-800-53-r5": ["CP-10", "SC-36", "SC-5(2)"],
    },
)
def vpc_single_az(fn: Function, ctx: Context) -> Verdict:
    if not in_vpc(fn) or fn.vpc is None:
        return Verdict.not_applicable()
    if not fn.vpc.subnet_ids:
        return Verdict.unknown(f"{fn.name} has security groups but no subnet ids were collected")
    zones: dict[str, list[str]] = {}
    for subnet_id in fn.vpc.subnet_ids:
        if isinstance(subnet_id, Unknown):
            return Verdict.unknown(f"a subnet id of {fn.name} is not resolvable: {_why(subnet_id)}")
        subnet = ctx.subnets.get(subnet_id)
        if subnet is None:
            return Verdict.unknown(f"subnet {subnet_id} of {fn.name} is not in the inventory")
        az = subnet.availability_zone
        if isinstance(az, Unknown) or az is None:
            why = _why(az) if isinstance(az, Unknown) else "not recorded"
            return Verdict.unknown(f"Availability Zone of subnet {subnet_id} is unknown ({why})")
        if not isinstance(az, str):  # a template can put any type there
            return Verdict.unknown(f"Availability Zone of subnet {subnet_id} is not a name: {az!r}")
        zones.setdefault(az, []).append(str(subnet_id))
    if len(zones) < 2:
        (az, subnets), *_ = zones.items()
        return Verdict.fail(
            f"{fn.name}: all {len(subnets)} subnet(s) ({', '.join(subnets)}) are in {az}",
            availability_zones=sorted(zones),
            subnets=subnets,
        )
    return Verdict.passed(
        f"{fn.name} spans {len(zones)} Availability Zones", availability_zones=sorted(zones)
    )


# --------------------------------------------------------------------------- FTR-NET-003


def _open_rules(
    rules: list[SecurityGroupRule], need_all_ports: bool
) -> tuple[list[tuple[str, str]], list[str]]:
    """(cidr, port description) pairs open to anywhere, and reasons for unknown CIDRs."""
    hits: list[tuple[str, str]] = []
    unknown: list[str] = []
    for r in rules:
        if need_all_ports and not _all_ports(r):
            continue
        for cidr in r.cidrs:
            if isinstance(cidr, Unknown):
                unknown.append(_why(cidr))
            elif cidr in ANYWHERE:
                hits.append((cidr, describe_ports(r)))
    return hits, unknown


@rule(
    id="FTR-NET-003",
    title="Function security group allows all egress to the internet",
    target="security_group",
    practice=Practice.NETWORK_ISOLATION,
    severity=Severity.LOW,
    rationale="""
        The default outbound rule of a security group (all protocols to 0.0.0.0/0) lets a
        compromised function send data anywhere the route tables allow: attacker servers, DNS
        tunnels, other accounts' buckets. Restricting egress to the ports and destinations the
        function needs (VPC endpoint prefix lists, the database security group, HTTPS) turns
        exfiltration into a blocked, logged connection attempt.
    """,
    remediation="""
        Replace the allow-all egress rule with rules for what the function needs: HTTPS (443)
        to VPC endpoint prefix lists or security groups, database ports to the database
        security group. (Terraform's aws_security_group drops the AWS default allow-all egress
        rule, so declaring only the narrow egress blocks is enough.)
    """,
    snippets={
        "cli": (
            "aws ec2 revoke-security-group-egress --group-id SG "
            "--ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]\n"
            "aws ec2 authorize-security-group-egress --group-id SG "
            "--ip-permissions IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=pl-xxxx}]"
        ),
        "cloudformation": (
            "SecurityGroupEgress:\n  - IpProtocol: tcp\n    FromPort: 443\n    ToPort: 443\n"
            "    DestinationPrefixListId: pl-xxxx"
        ),
        "terraform": (
            'egress {\n  protocol        = "tcp"\n  from_port       = 443\n  to_port         = 443\n'
            "  prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id]\n}"
        ),
    },
    references={"checkov": ["CKV_AWS_382"]},
    controls={
        "nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"],
        "pci-dss-4.0": ["1.3.2"],
    },
)
def open_egress(group: SecurityGroup, ctx: Context) -> Verdict:
    if isinstance(group.egress, Unknown):
        return Verdict.unknown(f"egress rules of {group.id} are unknown: {_why(group.egress)}")
    hits, unknown = _open_rules(group.egress, need_all_ports=True)
    users = _users(group, ctx)
    if hits:
        where = "; ".join(f"{ports} to {cidr}" for cidr, ports in hits)
        return Verdict.fail(
            f"{group.id} ({group.name}) allows {where}",
            open=[{"cidr": c, "ports": p} for c, p in hits],
            functions=users,
        )
    if unknown:
        return Verdict.unknown(
            f"an egress CIDR of {group.id} is not resolvable: {unknown[0]}", functions=users
        )
    return Verdict.passed(f"{group.id} ({group.name}) restricts egress")


# --------------------------------------------------------------------------- FTR-NET-004


@rule(
    id="FTR-NET-004",
    title="Function security group allows inbound traffic from the internet",
    target="security_group",
    practice=Practice.NETWORK_ISOLATION,
    severity=Severity.HIGH,
    rationale="""
        Lambda network interfaces never accept inbound connections, so a function needs no
        ingress rule at all. An inbound rule from 0.0.0.0/0 or ::/0 on a group attached to a
        function means the group is shared with other resources (instances, databases, load
        balancers) that are then reachable from the whole internet, or that the group was
        copied from a template nobody narrowed; any resource placed in it later is exposed.
    """,
    remediation="""
        Give functions a dedicated security group with no inbound rules. Remove ingress rules
        from 0.0.0.0/0 and ::/0; where another resource needs inbound traffic, allow it from
        specific security groups or CIDRs only.
    """,
    snippets={
        "cli": (
            "aws ec2 revoke-security-group-ingress --group-id SG "
            "--ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]"
        ),
        "cloudformation": (
            "FunctionSecurityGroup:\n  Type: AWS::EC2::SecurityGroup\n  Properties:\n"
            "    GroupDescription: Lambda function, no inbound\n    VpcId: !Ref Vpc\n"
            "    # no SecurityGroupIngress"
        ),
        "terraform": (
            'resource "aws_security_group" "fn" {\n  name   = "fn"\n  vpc_id = aws_vpc.main.id\n'
            "  # no ingress blocks\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_277"],
        "prowler": [
            "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
            "ec2_securitygroup_allow_ingress_from_internet_to_any_port",
        ],
    },
    controls={
        "cis-aws": ["5.2", "5.3"],
        "nist-800-53-r5": ["AC-4", "SC-7", "SC-7(3)"],
        "pci-dss-4.0": ["1.3.1", "1.4.1"],
    },
)
def open_ingress(group: SecurityGroup, ctx: Context) -> Verdict:
    if isinstance(group.ingress, Unknown):
        return Verdict.unknown(f"ingress rules of {group.id} are unknown: {_why(group.ingress)}")
    hits, unknown = _open_rules(group.ingress, need_all_ports=False)
    users = _users(group, ctx)
    if hits:
        where = "; ".join(f"{ports} from {cidr}" for cidr, ports in hits)
        return Verdict.fail(
            f"{group.id} ({group.name}) allows inbound {where}",
            open=[{"cidr": c, "ports": p} for c, p in hits],
            functions=users,
        )
    if unknown:
        return Verdict.unknown(
            f"an ingress CIDR of {group.id} is not resolvable: {unknown[0]}", functions=users
        )
    return Verdict.passed(f"{group.id} ({group.name}) allows no inbound traffic from anywhere")


# --------------------------------------------------------------------------- subnets


def _subnets_of(fn: Function, ctx: Context) -> tuple[list[Subnet], list[str]]:
    """The function's subnets found in the inventory, and why any others cannot be judged."""
    found: list[Subnet] = []
    unknown: list[str] = []
    if fn.vpc is None:
        return found, unknown
    if not fn.vpc.subnet_ids:
        unknown.append(f"{fn.name} has security groups but no subnet ids were collected")
    for subnet_id in dict.fromkeys(fn.vpc.subnet_ids):
        if isinstance(subnet_id, Unknown):
            unknown.append(f"a subnet id of {fn.name} is not resolvable: {_why(subnet_id)}")
            continue
        subnet = ctx.subnets.get(subnet_id)
        if subnet is None:
            unknown.append(
                f"subnet {subnet_id} of {fn.name} is not in the inventory "
                "(not declared in the scanned files, or not collected)"
            )
            continue
        found.append(subnet)
    return found, unknown


# --------------------------------------------------------------------------- FTR-NET-005


def _table_name(subnet: Subnet) -> str:
    table = subnet.route_table_id if isinstance(subnet.route_table_id, str) else "?"
    return (
        f"the VPC's main route table {table}" if subnet.route_table_main else f"route table {table}"
    )


@rule(
    id="FTR-NET-005",
    title="VPC function is placed in a public subnet (routes to an internet gateway)",
    target="function",
    practice=Practice.NETWORK_ISOLATION,
    severity=Severity.MEDIUM,
    rationale="""
        Lambda never gives a VPC function's network interfaces a public IP address, so a
        function in a subnet whose route table sends traffic to an internet gateway has no
        internet access at all: its calls to the internet and to public AWS endpoints time out.
        Such a placement is nearly always a mistake, and the usual "fixes" weaken the network
        (opening security groups, adding public IPs by hand, moving other resources into the
        public subnet). Public subnets are for load balancers and NAT gateways; functions
        belong in private subnets that reach the internet, if at all, through a NAT gateway
        and reach AWS services through VPC endpoints.
    """,
    remediation="""
        Attach the function to private subnets: subnets whose route table has no route to an
        internet gateway, with a default route to a NAT gateway if the function needs the
        internet, and VPC endpoints for the AWS services it calls.
    """,
    snippets={
        "cli": (
            "aws lambda update-function-configuration --function-name NAME "
            "--vpc-config SubnetIds=subnet-private-a,subnet-private-b,SecurityGroupIds=sg-fn"
        ),
        "cloudformation": (
            "PrivateRoute:\n  Type: AWS::EC2::Route\n  Properties:\n"
            "    RouteTableId: !Ref PrivateRouteTable\n    DestinationCidrBlock: 0.0.0.0/0\n"
            "    NatGatewayId: !Ref NatGateway"
        ),
        "terraform": (
            'resource "aws_route" "private_default" {\n'
            "  route_table_id         = aws_route_table.private.id\n"
            '  destination_cidr_block = "0.0.0.0/0"\n'
            "  nat_gateway_id         = aws_nat_gateway.this.id\n}"
        ),
    },
    controls={
        "nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"],
        "pci-dss-4.0": ["1.3.1"],
    },
)
def public_subnet(fn: Function, ctx: Context) -> Verdict:
    if not in_vpc(fn):
        return Verdict.not_applicable()
    subnets, unknown = _subnets_of(fn, ctx)
    public: dict[str, list[str]] = {}
    tables: dict[str, str] = {}
    for subnet in subnets:
        routes = subnet.internet_routes
        if routes is None:
            unknown.append(f"the route table of subnet {subnet.id} was not collected")
        elif isinstance(routes, Unknown):
            unknown.append(f"the routes of subnet {subnet.id} are unknown: {_why(routes)}")
        elif routes:
            public[subnet.id] = list(routes)
            tables[subnet.id] = _table_name(subnet)
    if public:
        where = "; ".join(
            f"{sid} ({tables[sid]}: {', '.join(routes)})" for sid, routes in public.items()
        )
        return Verdict.fail(
            f"{fn.name} is in public subnet(s) that route to an internet gateway: {where}; "
            "Lambda gets no public IP there, so the function has no internet access",
            public_subnets=public,
        )
    if unknown:
        return Verdict.unknown(unknown[0], reasons=unknown)
    return Verdict.passed(
        f"no subnet of {fn.name} routes to an internet gateway",
        subnets=[s.id for s in subnets],
    )


# --------------------------------------------------------------------------- FTR-NET-006


def _family(cidr: str) -> str:
    return "ipv6" if ":" in cidr else "ipv4"


def acl_admits_all(entries: list[NetworkAclEntry]) -> tuple[list[str], str | None]:
    """The inbound entries that let all traffic in from anywhere ("rule 100: 0.0.0.0/0"), and
    the reason when the entries cannot be judged.

    Entries are evaluated in rule-number order, as EC2 does: an allow-all entry from
    0.0.0.0/0 (::/0) counts only when no lower-numbered deny entry of the same address family
    comes before it (a deny may carve out part of the traffic).
    """
    numbered: list[tuple[int, NetworkAclEntry]] = []
    for entry in entries:
        number = entry.rule_number
        if isinstance(number, Unknown) or not isinstance(number, int):
            return [], f"a rule number is not resolvable: {_why(number) or repr(number)}"
        numbered.append((number, entry))
    numbered.sort(key=lambda pair: pair[0])
    hits: list[str] = []
    for family, anywhere in (("ipv4", "0.0.0.0/0"), ("ipv6", "::/0")):
        for number, entry in numbered:
            cidr, action = entry.cidr, entry.action
            if isinstance(cidr, Unknown):
                return hits, f"the CIDR of rule {number} is not resolvable: {_why(cidr)}"
            if not isinstance(cidr, str) or _family(cidr) != family:
                continue
            if isinstance(action, Unknown) or not isinstance(action, str):
                return hits, f"the action of rule {number} is not resolvable: {_why(action)}"
            if action.lower() == "deny":
                break  # something is denied first: not "all traffic"
            if (
                action.lower() == "allow"
                and cidr == anywhere
                and str(entry.protocol).lower() in _ALL_PROTOCOLS
            ):
                hits.append(f"rule {number}: all traffic from {anywhere}")
                break
    return hits, None


def _acl_name(subnet: Subnet) -> str:
    acl = subnet.network_acl_id if isinstance(subnet.network_acl_id, str) else "?"
    return f"the VPC's default network ACL {acl}" if subnet.network_acl_default else f"{acl}"


@rule(
    id="FTR-NET-006",
    title="Network ACL of a function's subnet allows all inbound traffic from the internet",
    target="function",
    practice=Practice.NETWORK_ISOLATION,
    severity=Severity.LOW,
    rationale="""
        A network ACL is the stateless, subnet-wide second layer of a VPC's defences. One that
        allows all protocols and ports from 0.0.0.0/0 or ::/0 (as every VPC's default ACL
        does) leaves the security groups as the only control: a group that is opened by
        mistake, or a resource placed in the subnet with a public address, is reachable from
        the whole internet. Lambda's interfaces accept no inbound connections, so a function's
        subnets only need return traffic (ephemeral ports) and traffic from inside the VPC.
        The severity is low because security groups remain the primary control and this
        finding is common: it is defence in depth, worth fixing for subnets holding data.
    """,
    remediation="""
        Give the function's subnets a custom network ACL whose inbound entries allow only the
        VPC's CIDR and return traffic (TCP 1024-65535) from 0.0.0.0/0, with the matching
        outbound entries, and keep security groups without inbound rules.
    """,
    snippets={
        "cli": (
            "aws ec2 create-network-acl-entry --network-acl-id acl-x --ingress --rule-number 100 "
            "--protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 "
            "--rule-action allow\n"
            "aws ec2 replace-network-acl-association --association-id aclassoc-x "
            "--network-acl-id acl-x"
        ),
        "cloudformation": (
            "ReturnTraffic:\n  Type: AWS::EC2::NetworkAclEntry\n  Properties:\n"
            "    NetworkAclId: !Ref PrivateAcl\n    RuleNumber: 100\n    Protocol: 6\n"
            "    RuleAction: allow\n    CidrBlock: 0.0.0.0/0\n"
            "    PortRange: {From: 1024, To: 65535}"
        ),
        "terraform": (
            'resource "aws_network_acl" "private" {\n  vpc_id     = aws_vpc.main.id\n'
            "  subnet_ids = [aws_subnet.private_a.id, aws_subnet.private_b.id]\n"
            '  ingress {\n    rule_no    = 100\n    protocol   = "tcp"\n    action     = "allow"\n'
            '    cidr_block = "0.0.0.0/0"\n    from_port  = 1024\n    to_port    = 65535\n  }\n}'
        ),
    },
    references={
        "checkov": ["CKV_AWS_352"],
        "prowler": ["ec2_networkacl_allow_ingress_any_port"],
        "trivy": ["AVD-AWS-0102", "AVD-AWS-0105"],
    },
    controls={
        "nist-800-53-r5": ["AC-4", "SC-7"],
        "pci-dss-4.0": ["1.3.1", "1.4.1"],
    },
)
def acl_allows_all_inbound(fn: Function, ctx: Context) -> Verdict:
    if not in_vpc(fn):
        return Verdict.not_applicable()
    subnets, unknown = _subnets_of(fn, ctx)
    open_acls: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for subnet in subnets:
        entries = subnet.acl_ingress
        if entries is None:
            unknown.append(f"the network ACL of subnet {subnet.id} was not collected")
            continue
        if isinstance(entries, Unknown):
            unknown.append(f"the network ACL of subnet {subnet.id} is unknown: {_why(entries)}")
            continue
        hits, why = acl_admits_all(entries)
        if hits:
            open_acls[subnet.id] = hits
            names[subnet.id] = _acl_name(subnet)
        elif why:
            unknown.append(f"the network ACL of subnet {subnet.id}: {why}")
    if open_acls:
        where = "; ".join(
            f"{sid} ({names[sid]}: {', '.join(hits)})" for sid, hits in open_acls.items()
        )
        return Verdict.fail(
            f"{fn.name}: the network ACL of subnet(s) {where} allows all inbound traffic from "
            "the internet; only the security groups stand in the way",
            subnets=open_acls,
        )
    if unknown:
        return Verdict.unknown(unknown[0], reasons=unknown)
    return Verdict.passed(
        f"the network ACLs of the subnets of {fn.name} restrict inbound traffic from the internet",
        subnets=[s.id for s in subnets],
    )
