"""The package secret scanner and FTR-SEC-004/005, on real files written to disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fortress.findings import Finding, Status
from fortress.inventory import (
    PACKAGE_NOT_RUN,
    Function,
    Inventory,
    LayerVersion,
    Origin,
    PackageAnalysis,
)
from fortress.packages import analyse, files, secrets_scan
from fortress.rules import engine

ACCOUNT, REGION = "123456789012", "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)
# Fake values in real formats, split so this file holds no whole token.
STRIPE = "sk_live_" + "51HqLyjWDarjtT1zdp7dcK9a"
GITHUB = "ghp_" + "9bX2kQ7mN4pR8sT1vW5yZ3aC6dE0fG2hJ4kL"
AWS_ID = "AKIA" + "QX7RZ2VN4K8M3P6T"
PASSWORD = "correct-horse-battery-staple"


def write(root: Path, tree: dict[str, str | bytes]) -> Path:
    for rel, content in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def analysed(root: Path, layer: str | None = None) -> PackageAnalysis:
    return analyse.analyse(list(files.from_directory(root, layer)), location=str(root))


def function(package: PackageAnalysis | None) -> Function:
    return Function(
        name="payments",
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments",
        origin=ORIGIN,
        runtime="nodejs20.x",
        package=package,
    )


def layer(package: PackageAnalysis | None) -> LayerVersion:
    return LayerVersion(
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:sdk:1",
        name="sdk",
        version=1,
        origin=ORIGIN,
        package=package,
    )


def run(rule_id: str, inv: Inventory) -> Finding:
    import fortress.rules.package_secrets  # noqa: F401  (registers the rules)

    findings = engine.evaluate(inv, [engine.get_rule(rule_id)])
    assert len(findings) == 1, findings
    return findings[0]


# --------------------------------------------------------------------------- the scanner


def test_first_party_code_reports_tokens_and_keyword_passwords_with_lines(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "index.js": f"const a = 1;\nconst STRIPE_KEY = '{STRIPE}';\n",
            "config.py": f'db_password = "{PASSWORD}"\n',
        },
    )
    found = [(s.file, s.line, s.kind.lower()) for s in analysed(root).secrets]
    assert any(f == "index.js" and ln == 2 and "stripe" in k for f, ln, k in found), found
    assert any(f == "config.py" and ln == 1 for f, ln, _ in found), found
    assert len(found) == 2


def test_vendored_code_gets_token_formats_but_not_the_keyword_detector(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "node_modules/client/lib/defaults.js": f'var password = "{PASSWORD}";\n',
            "node_modules/client/lib/leak.js": f'module.exports = "{AWS_ID}";\n',
        },
    )
    found = [(s.file, s.kind) for s in analysed(root).secrets]
    assert [f for f, _ in found] == ["node_modules/client/lib/leak.js"]


@pytest.mark.parametrize(
    "rel",
    [
        "package-lock.json",
        "yarn.lock",
        "dist/app.min.js",
        "dist/app.js.map",
        "node_modules/client/test/fixtures/keys.js",
        "python/lib/python3.12/site-packages/boto/tests/creds.py",
        "python/lib/python3.12/site-packages/x-1.0.dist-info/RECORD",
    ],
)
def test_known_false_positive_files_are_not_scanned(tmp_path: Path, rel: str) -> None:
    root = write(tmp_path, {rel: f'key = "{AWS_ID}"\npassword = "{PASSWORD}"\n'})
    assert analysed(root).secrets == []
    assert secrets_scan.skipped_file(rel)


def test_binary_files_and_minified_bundles_in_vendored_code_are_not_reported(
    tmp_path: Path,
) -> None:
    bundle_line = "var x=" + "1," * 4000 + f'k="{AWS_ID}";\n'
    root = write(
        tmp_path,
        {
            "native.node": b"\x7fELF\x00\x00" + AWS_ID.encode(),
            "node_modules/big/dist/index.js": bundle_line,
        },
    )
    assert analysed(root).secrets == []


def test_a_first_party_bundle_is_still_scanned(tmp_path: Path) -> None:
    """Generated code of the owner (an esbuild output) is where their key ends up."""
    root = write(tmp_path, {"index.js": "var x=" + "1," * 4000 + f'k="{STRIPE}";\n'})
    assert [s.file for s in analysed(root).secrets] == ["index.js"]


def test_a_clean_package_has_no_secrets_and_nothing_skipped(tmp_path: Path) -> None:
    root = write(tmp_path, {"app.py": "import os\nKEY = os.environ['KEY']\n"})
    package = analysed(root)
    assert package.secrets == []
    assert "secrets" not in package.skipped


# --------------------------------------------------------------------------- FTR-SEC-004


def test_sec004_fails_on_a_hard_coded_key_and_never_shows_the_value(tmp_path: Path) -> None:
    root = write(tmp_path, {"index.js": f"const STRIPE_KEY = '{STRIPE}';\n"})
    finding = run("FTR-SEC-004", Inventory(functions=[function(analysed(root))]))
    assert finding.status == Status.FAIL
    assert "index.js:1" in finding.message
    dumped = json.dumps(finding.to_dict())
    assert STRIPE not in dumped
    assert STRIPE[8:20] not in dumped
    assert finding.evidence["secrets"][0]["file"] == "index.js"
    assert finding.evidence["secrets"][0]["fingerprint"]


def test_sec004_passes_on_a_clean_package(tmp_path: Path) -> None:
    root = write(tmp_path, {"index.js": "exports.handler = async () => ({});\n"})
    finding = run("FTR-SEC-004", Inventory(functions=[function(analysed(root))]))
    assert finding.status == Status.PASS
    assert "1 files" in finding.message


def test_sec004_message_names_ten_and_counts_the_rest(tmp_path: Path) -> None:
    lines = "".join(f"const K{i} = '{AWS_ID[:-2]}{i:02d}';\n" for i in range(12))
    root = write(tmp_path, {"index.js": lines})
    finding = run("FTR-SEC-004", Inventory(functions=[function(analysed(root))]))
    assert finding.status == Status.FAIL
    assert finding.message.startswith("12 secret(s)")
    assert "and 2 more" in finding.message
    assert len(finding.evidence["secrets"]) == 12


@pytest.mark.parametrize(
    "package",
    [None, PackageAnalysis(status=PACKAGE_NOT_RUN, location="x")],
    ids=["none", "not-run"],
)
def test_sec004_is_not_applicable_when_no_package_was_read(package: PackageAnalysis | None) -> None:
    """Not asked for (a live scan without --packages) or no package offered: no finding at all,
    never a pass."""
    import fortress.rules.package_secrets  # noqa: F401

    inv = Inventory(functions=[function(package)])
    assert engine.evaluate(inv, [engine.get_rule("FTR-SEC-004")]) == []


def test_sec004_unknown_for_an_unreadable_package_or_an_image() -> None:
    unread = analyse.unreadable("s3://bucket/code.zip", "download failed: 403")
    finding = run("FTR-SEC-004", Inventory(functions=[function(unread)]))
    assert finding.status == Status.UNKNOWN
    assert "403" in finding.message
    image = PackageAnalysis(status="analysed", location="ecr", image_uri="1.dkr.ecr/x:1")
    finding = run("FTR-SEC-004", Inventory(functions=[function(image)]))
    assert finding.status == Status.UNKNOWN
    assert "container image" in finding.message


# --------------------------------------------------------------------------- FTR-SEC-005


def test_sec005_fails_on_a_token_in_a_layer(tmp_path: Path) -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:sdk:1"
    root = write(tmp_path, {"python/analytics.py": f"GITHUB_TOKEN = '{GITHUB}'\n"})
    finding = run("FTR-SEC-005", Inventory(layers=[layer(analysed(root, arn))]))
    assert finding.status == Status.FAIL
    assert "python/analytics.py:1" in finding.message
    assert GITHUB not in json.dumps(finding.to_dict())


def test_sec005_passes_on_a_clean_layer(tmp_path: Path) -> None:
    root = write(tmp_path, {"python/analytics.py": "def track(event):\n    return None\n"})
    finding = run("FTR-SEC-005", Inventory(layers=[layer(analysed(root))]))
    assert finding.status == Status.PASS
