"""IAM: roles, policies, users, groups, SCPs."""

from __future__ import annotations

from dataclasses import dataclass, field

from fortress.inventory.values import Origin, PolicyDocument, Unknown

# --------------------------------------------------------------------------- IAM


@dataclass
class Policy:
    name: str
    document: PolicyDocument | Unknown
    arn: str | None = None
    aws_managed: bool = False
    inline: bool = False
    # Templates: the file and the line of each statement (by index), for messages.
    file: str | None = None
    lines: list[int] = field(default_factory=list)


@dataclass
class Role:
    name: str
    arn: str
    origin: Origin
    trust_policy: PolicyDocument | Unknown = field(default_factory=dict)
    inline_policies: list[Policy] = field(default_factory=list)
    attached_policies: list[Policy] = field(default_factory=list)
    permissions_boundary_arn: str | None = None

    @property
    def policies(self) -> list[Policy]:
        return [*self.inline_policies, *self.attached_policies]


@dataclass
class IdentityPolicy:
    """An identity policy a template declares that no role of the template carries (IaC only):
    a managed policy (``AWS::IAM::ManagedPolicy``, ``aws_iam_policy``) or a policy resource
    (``AWS::IAM::Policy``, ``aws_iam_role_policy``) attached to nothing, or only to roles,
    users or groups defined elsewhere (``attached`` names them as written). FTR-IAM-012 judges
    what it grants; the roles of the template carry their own policies.
    """

    name: str
    origin: Origin
    policy: Policy
    arn: str | None = None
    kind: str = "AWS::IAM::ManagedPolicy"  # the resource type, for the finding
    attached: list[str] = field(default_factory=list)

    @property
    def policies(self) -> list[Policy]:
        return [self.policy]


@dataclass
class IamUser:
    """An IAM user of the account (a principal ``who-can`` judges), with its group names."""

    name: str
    arn: str
    origin: Origin
    inline_policies: list[Policy] = field(default_factory=list)
    attached_policies: list[Policy] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    permissions_boundary_arn: str | None = None

    @property
    def policies(self) -> list[Policy]:
        return [*self.inline_policies, *self.attached_policies]


@dataclass
class IamGroup:
    name: str
    arn: str
    inline_policies: list[Policy] = field(default_factory=list)
    attached_policies: list[Policy] = field(default_factory=list)

    @property
    def policies(self) -> list[Policy]:
        return [*self.inline_policies, *self.attached_policies]


@dataclass
class ScpLevel:
    """The service control policies attached at one level (root, an OU, the account) of the
    account's place in its organization. An action must be allowed at every level."""

    target: str  # "r-..." root, "ou-..." organizational unit, or the account id
    policies: list[Policy] = field(default_factory=list)


@dataclass
class IamAccount:
    """Every principal of one account, for "who can take over this function" (live only).

    ``roles`` holds all roles (not only execution roles); ``managed_policies`` the documents of
    customer managed policies and of the policies used as permissions boundaries, by ARN.
    ``scps`` is None when the organization's policies could not be read (``scp_note`` says
    why); an empty list means none apply (no organization, or the management account).
    """

    account: str
    users: list[IamUser] = field(default_factory=list)
    groups: list[IamGroup] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    managed_policies: list[Policy] = field(default_factory=list)
    scps: list[ScpLevel] | None = None
    scp_note: str | None = None
