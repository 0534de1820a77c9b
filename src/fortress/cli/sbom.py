"""`fortress sbom FUNCTION|PATH --output DIR`: CycloneDX SBOMs of Lambda code.

The target is, in this order:

- a folder holding IaC templates (SAM, CloudFormation, Serverless, Terraform): one SBOM per
  function whose local code the templates deploy, with its layers nested;
- a code folder or a ``.zip`` package: one SBOM of that package;
- otherwise a live function's name or ARN: ``GetFunction``, and ``GetLayerVersion`` by ARN
  for each layer it uses (read-only), the packages downloaded, verified against ``CodeSha256`` and
  analysed as ``scan --packages`` does.

Vulnerabilities matched against the OSV data (``--osv-db`` or the ``vulndb`` cache) are
listed in each SBOM; without OSV data the SBOM lists the components only, and says so.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.cli import validate
from fortress.errors import FortressError
from fortress.inventory import PACKAGE_ANALYSED

if TYPE_CHECKING:  # CycloneDX is imported when the command runs, not at start-up
    from fortress.packages import sbom


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "sbom",
        help="write CycloneDX SBOMs of a live function, a code folder or zip, or an IaC project",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "target", metavar="FUNCTION|PATH", help="function name or ARN, code folder, .zip or IaC"
    )
    parser.add_argument(
        "--output", type=validate.output_dir, required=True, metavar="DIR", help="folder to write"
    )
    parser.add_argument(
        "--osv-db", type=Path, metavar="PATH", help="OSV data (default: the vulndb cache)"
    )
    parser.add_argument("--runtime", help="code folder or zip: the runtime it runs on")
    parser.add_argument(
        "--code-mirror",
        type=validate.endpoint_url,
        metavar="URL",
        help="live: fetch packages from <URL>/<CodeSha256> instead of Code.Location",
    )
    group = parser.add_argument_group("AWS (live function)")
    group.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    group.add_argument("--region", help="the function's region (default: the profile's)")
    group.add_argument(
        "--endpoint-url",
        type=validate.endpoint_url,
        help="AWS endpoint (e.g. an emulator); AWS_ENDPOINT_URL is honoured",
    )
    parser.set_defaults(func=cmd_sbom)


def _vulndb(path: Path | None) -> Any:
    from fortress.packages import osv

    return osv.scan_db(path)


def _iac_subjects(folder: Path, args: argparse.Namespace) -> list[sbom.SbomSubject] | None:
    """The SBOM subjects of the IaC templates in ``folder``; None when it holds none."""
    from fortress.errors import InputError
    from fortress.packages import sbom
    from fortress.scan import iac_inputs, load_iac
    from fortress.sources.base import IacOptions

    try:
        inputs: list[tuple[str, Path]] = list(iac_inputs([folder], None))
    except InputError:
        return None
    if not inputs:
        return None
    loaded = load_iac(inputs, IacOptions(packages=True, code_roots=[folder], osv_db=args.osv_db))
    from fortress.cli import eprint

    for error in [*loaded.errors, *loaded.warnings]:
        eprint(f"fortress: warning: {error}")
    found, skipped = sbom.subjects(loaded.inventory)
    for subject, reason in skipped:
        eprint(f"fortress: no SBOM for {subject}: {reason}")
    return found


def _path_subject(path: Path, args: argparse.Namespace) -> sbom.SbomSubject:
    from fortress.packages import sbom
    from fortress.packages.iac import analyse_path

    facts = analyse_path(path, vulndb=_vulndb(args.osv_db), runtime=args.runtime)
    if facts.status != PACKAGE_ANALYSED:
        raise FortressError(f"{path}: {facts.reason or 'the package could not be read'}")
    name = path.name.removesuffix(".zip") or "package"
    return sbom.SbomSubject(name, str(path.absolute()), facts, args.runtime)


def _live_subject(args: argparse.Namespace) -> sbom.SbomSubject:
    from fortress.aws.client import AwsClient, AwsOptions
    from fortress.packages import sbom
    from fortress.packages.live import LiveOptions, analyse_function

    client = AwsClient(
        AwsOptions(
            profile=args.profile,
            regions=[args.region] if args.region else [],
            endpoint_url=args.endpoint_url,
        )
    )
    found, gaps = analyse_function(
        client,
        args.target,
        region=args.region,
        vulndb=_vulndb(args.osv_db),
        options=LiveOptions(mirror=args.code_mirror),
    )
    if found is None:
        why = client.gaps[0].message if client.gaps else "GetFunction failed"
        raise FortressError(f"function {args.target}: {why}")
    from fortress.cli import eprint

    for gap in [*client.gaps, *gaps]:
        eprint(f"fortress: warning: {gap.resource or ''}: {gap.message}")
    if found.package.status != PACKAGE_ANALYSED:
        raise FortressError(f"function {found.arn}: {found.package.reason}")
    return sbom.SbomSubject(
        found.name, found.arn, found.package, found.runtime, tuple(found.layers)
    )


def cmd_sbom(args: argparse.Namespace) -> int:
    from fortress.packages import sbom

    target = Path(args.target)
    subjects: list[sbom.SbomSubject] | None = None
    if target.is_dir():
        subjects = _iac_subjects(target, args)
        if subjects is None:
            subjects = [_path_subject(target, args)]
    elif target.is_file() and target.suffix.lower() in (".zip", ".jar"):
        subjects = [_path_subject(target, args)]
    elif target.exists() or ("/" in args.target and not args.target.startswith("arn:")):
        raise FortressError(f"{args.target}: not a folder, a .zip package or a function name")
    else:
        subjects = [_live_subject(args)]
    if not subjects:
        raise FortressError(f"{args.target}: no function with local code to describe")
    try:
        written = sbom.write(subjects, args.output, now=datetime.now(UTC))
    except OSError as exc:
        raise FortressError(f"{args.output}: cannot write ({exc.strerror or exc})") from None
    for subject, path in zip(subjects, written, strict=True):
        deps = len(subject.analysis.dependencies) + sum(
            len(facts.dependencies) for _, facts in subject.layers if facts is not None
        )
        vulns = len(subject.analysis.vulnerabilities) + sum(
            len(facts.vulnerabilities) for _, facts in subject.layers if facts is not None
        )
        note = "" if subject.analysis.vulndb else " (no OSV data: components only)"
        print(f"{path}: {subject.name}, {deps} components, {vulns} vulnerabilities{note}")
    return 0
