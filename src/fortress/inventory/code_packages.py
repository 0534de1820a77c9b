"""What a function's code package holds: its source, secrets, dependencies, vulnerabilities, risky code."""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------- packages

CODE_DIR = "dir"
CODE_ZIP = "zip"
CODE_INLINE = "inline"
CODE_S3 = "s3"
CODE_IMAGE = "image"
CODE_UNKNOWN = "unknown"


@dataclass
class CodeSource:
    """Where an IaC template says a function's or layer's code is, before it is read.

    ``path`` is an absolute path on disk (``dir``/``zip``), ``inline`` the text of a
    CloudFormation ``Code.ZipFile``, ``uri`` an ``s3://`` location or an image URI; ``reason``
    says why the code cannot be found locally (``unknown``, ``s3``).
    """

    kind: str  # CODE_DIR | CODE_ZIP | CODE_INLINE | CODE_S3 | CODE_IMAGE | CODE_UNKNOWN
    path: str | None = None
    inline: str | None = None
    uri: str | None = None
    reason: str = ""
    # Serverless package.patterns (include globs; "!glob" excludes), applied to a folder.
    patterns: list[str] = field(default_factory=list)


# PackageAnalysis.status
PACKAGE_ANALYSED = "analysed"  # the files were read (within the caps); lists below are the facts
PACKAGE_NOT_RUN = "not-run"  # package analysis was not asked for (live scan without --packages)
PACKAGE_UNKNOWN = "unknown"  # asked for but the bytes could not be read: ``reason`` says why


@dataclass
class PackageSecret:
    """A secret found in a file of a package: where and what kind, never the value."""

    file: str  # path inside the package (POSIX), or inside the layer for layer findings
    line: int
    kind: str  # the scanner's type name ("AWS Access Key", "Private Key", ...)
    fingerprint: str  # short hash of the value, stable across runs (as EnvVar.fingerprint)


@dataclass
class Dependency:
    """One third-party package found in a function's or layer's files."""

    ecosystem: str  # OSV ecosystem name: "PyPI", "npm", "Maven", "Go", "NuGet", "RubyGems"
    name: str
    version: str  # the exact version, or the declared range when ``pinned`` is False
    pinned: bool = True  # False: a range from a manifest (matched as "may be affected")
    path: str = ""  # the file it was read from, inside the package or layer
    layer: str | None = None  # the layer ARN (or IaC layer id) when it comes from a layer
    purl: str | None = None


@dataclass
class Vulnerability:
    """An OSV advisory that matches a Dependency."""

    ids: list[str]  # the OSV id first, then aliases (GHSA-…, CVE-…, PYSEC-…)
    ecosystem: str
    package: str
    version: str
    path: str = ""
    layer: str | None = None
    severity: str = "unknown"  # "critical" | "high" | "medium" | "low" | "unknown" (from CVSS)
    score: float | None = None  # CVSS base score when the record has a vector
    fixed: str | None = None  # the first fixed version, when the record names one
    summary: str = ""
    may_be_affected: bool = False  # the version is a range that overlaps the affected range


# CodeRisk.kind
RISK_COMMAND = "command-execution"
RISK_EVAL = "code-evaluation"
RISK_DESERIALIZATION = "unsafe-deserialization"
RISK_TMP_SECRET = "secret-in-tmp"
RISK_CACHED_CREDENTIALS = "cached-credentials"


@dataclass
class CodeRisk:
    """A risky call in handler code: a sink, and whether the handler's event reaches it."""

    kind: str  # one of the RISK_* names
    file: str
    line: int
    sink: str  # the call as written: "subprocess.run", "child_process.exec", "yaml.load"
    from_event: bool  # True: data derived from the handler's event parameter reaches the sink
    detail: str = ""  # one line: what reaches the sink, from where
    layer: str | None = None


@dataclass
class PackageAnalysis:
    """What Fortress read inside a function's or layer's package.

    Filled by ``fortress.packages`` (live download or the local code an IaC template deploys);
    rules read it and never download. ``None`` on a Function or layer means the source has no
    package to offer; ``status`` tells "not asked" and "could not read" apart from "read".
    """

    status: str  # PACKAGE_ANALYSED | PACKAGE_NOT_RUN | PACKAGE_UNKNOWN
    reason: str = ""
    location: str = ""  # where the bytes came from: a local path, "s3://…", "lambda:GetFunction"
    sha256: str | None = None  # of the zip when there is one
    files: int = 0
    unzipped_bytes: int = 0
    image_uri: str | None = None  # container-image functions: the image, no package rules run
    secrets: list[PackageSecret] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    code_risks: list[CodeRisk] = field(default_factory=list)
    vulndb: str | None = None  # the OSV data used ("osv 2026-11-30"), None when none was
    # Which analyses could not run, with the reason ("vulnerabilities": "no OSV database").
    skipped: dict[str, str] = field(default_factory=dict)
