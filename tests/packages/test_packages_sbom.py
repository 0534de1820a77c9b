"""`fortress sbom` and `fortress scan --sbom`: CycloneDX 1.6 that validates against the schema,
with the function's dependencies, its layers as components with theirs nested, and the OSV
advisories matched; for a code folder, a zip, an IaC project and a live function (emulator,
packages over loopback HTTP). Bad targets are one-line errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from test_packages_live import create, package

from conftest import ClientFactory
from fortress.cli import main
from fortress.demo import package_mirror
from fortress.forensics.acquire import code_sha256
from fortress.packages import osv

DEMO_OSV = Path(osv.__file__).parent.parent / "demo" / "osv"
SITE = "python/lib/python3.12/site-packages"
YAML_53 = "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n"
CODE = {
    "app.py": "def handler(event, context):\n    return 1\n",
    "PyYAML-5.3.dist-info/METADATA": YAML_53,
    "requests-2.32.3.dist-info/METADATA": "Name: requests\nVersion: 2.32.3\n",
    "requirements.txt": "boto3>=1.34\n",
}
LAYER = {f"{SITE}/attrs-23.1.0.dist-info/METADATA": "Name: attrs\nVersion: 23.1.0\n"}


@pytest.fixture(autouse=True)
def no_osv_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_OSV_CACHE", str(tmp_path_factory.mktemp("osv-cache")))


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return root


def load(path: Path) -> dict[str, Any]:
    """The SBOM, validated here again against the CycloneDX 1.6 JSON schema."""
    text = path.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    data: dict[str, Any] = json.loads(text)
    assert data["bomFormat"] == "CycloneDX" and data["specVersion"] == "1.6"
    return data


def versions(components: list[dict[str, Any]]) -> dict[str, str | None]:
    return {c["name"]: c.get("version") for c in components}


def props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def sbom(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sbom", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_code_folder_lists_dependencies_ranges_and_vulnerabilities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code_dir = tree(tmp_path / "orders", CODE)
    out_dir = tmp_path / "sbom"
    code, out, _ = sbom(capsys, str(code_dir), "--output", str(out_dir), "--osv-db", str(DEMO_OSV))
    assert code == 0
    [written] = list(out_dir.glob("*.cdx.json"))
    assert str(written) in out and "1 vulnerabilities" in out
    data = load(written)
    assert data["metadata"]["component"]["name"] == "orders"
    components = data["components"]
    assert versions(components) == {"PyYAML": "5.3", "requests": "2.32.3", "boto3": None}
    by_name = {c["name"]: c for c in components}
    assert by_name["PyYAML"]["purl"] == "pkg:pypi/pyyaml@5.3"
    assert props(by_name["boto3"])["fortress:declared-range"] == ">=1.34"
    assert "purl" not in by_name["boto3"]
    [vuln] = data["vulnerabilities"]
    assert vuln["id"].startswith("GHSA-") and vuln["source"]["name"] == "OSV"
    assert vuln["affects"] == [{"ref": by_name["PyYAML"]["bom-ref"]}]
    assert vuln["ratings"][0]["severity"] in ("critical", "high")
    root = data["metadata"]["component"]["bom-ref"]
    [graph] = [d for d in data["dependencies"] if d["ref"] == root]
    assert len(graph["dependsOn"]) == 3


def test_without_osv_data_the_sbom_lists_components_only_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "fn.zip"
    archive.write_bytes(package(CODE))
    code, out, _ = sbom(capsys, str(archive), "--output", str(tmp_path / "out"))
    assert code == 0 and "no OSV data" in out
    [written] = list((tmp_path / "out").glob("fn-*.cdx.json"))
    data = load(written)
    assert "vulnerabilities" not in data or data["vulnerabilities"] == []
    assert "fortress:skipped:vulnerabilities" in props(data["metadata"]["component"])
    assert set(versions(data["components"])) == {"PyYAML", "requests", "boto3"}


def sam_project(root: Path) -> Path:
    tree(root / "src" / "orders", CODE)
    tree(root / "src" / "clean", {"app.py": "def handler(e, c):\n    return 1\n"})
    tree(root / "layers" / "shared", LAYER)
    (root / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n"
        "    Runtime: python3.12\n    Handler: app.handler\nResources:\n"
        "  Orders:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src/orders, Layers: [!Ref Shared]}\n"
        "  Clean:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/clean}\n"
        "  Remote:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: 's3://bucket/remote.zip'}\n"
        "  Shared:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {LayerName: shared, ContentUri: layers/shared}\n"
    )
    return root


def test_iac_project_gives_one_sbom_per_function_with_its_layers_nested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sam_project(tmp_path / "app")
    out_dir = tmp_path / "sbom"
    code, _out, err = sbom(
        capsys, str(project), "--output", str(out_dir), "--osv-db", str(DEMO_OSV)
    )
    assert code == 0
    files = {p.name.split("-")[0]: p for p in out_dir.glob("*.cdx.json")}
    assert set(files) == {"Orders", "Clean"}
    assert "no SBOM for" in err and "Remote" in err  # code in S3: said, not silently dropped
    orders = load(files["Orders"])
    [layer] = [c for c in orders["components"] if props(c).get("fortress:kind") == "lambda-layer"]
    assert versions(layer["components"]) == {"attrs": "23.1.0"}
    assert "PyYAML" in versions(orders["components"])
    assert len(orders["vulnerabilities"]) == 1
    clean = load(files["Clean"])
    assert clean.get("components", []) == []


def test_scan_sbom_writes_beside_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sam_project(tmp_path / "app")
    out_dir = tmp_path / "sboms"
    main(["scan", str(project), "--format", "json", "--sbom", str(out_dir)])
    out, err = capsys.readouterr()
    json.loads(out)  # the report on stdout is untouched
    assert "2 SBOMs written" in err
    assert len(list(out_dir.glob("*.cdx.json"))) == 2


def test_live_function_with_its_layer_read_by_arn(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lam = client("lambda")
    layer_zip, code_zip = package(LAYER), package(CODE)
    layer = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer_zip})
    create(client, "orders", code_zip, Layers=[layer["LayerVersionArn"]])
    served = {code_sha256(layer_zip): layer_zip, code_sha256(code_zip): code_zip}
    requests: list[str] = []
    with package_mirror(served, requests) as url:
        code, _out, err = sbom(
            capsys,
            "orders",
            "--output",
            str(tmp_path / "sbom"),
            "--endpoint-url",
            aws,
            "--region",
            "us-east-1",
            "--code-mirror",
            url,
            "--osv-db",
            str(DEMO_OSV),
        )
    assert code == 0, err
    assert len(requests) == 2  # the function's package and the layer's, downloaded over HTTP
    [written] = list((tmp_path / "sbom").glob("orders-*.cdx.json"))
    data = load(written)
    root = data["metadata"]["component"]
    assert props(root)["fortress:resource"].endswith(":function:orders")
    assert root["hashes"][0]["alg"] == "SHA-256"
    [nested] = [c for c in data["components"] if c.get("components")]
    assert props(nested)["fortress:resource"] == layer["LayerVersionArn"]
    assert versions(nested["components"]) == {"attrs": "23.1.0"}


def test_live_function_that_does_not_exist_is_one_line(
    aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = sbom(
        capsys,
        "nope",
        "--output",
        str(tmp_path / "o"),
        "--endpoint-url",
        aws,
        "--region",
        "us-east-1",
    )
    assert code == 2 and err.count("\n") == 1 and "nope" in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["missing", "not-a-zip", "corrupt-zip"])
def test_bad_targets_are_one_line_errors(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "code.zip"
    if kind == "missing":
        target = tmp_path / "no" / "such"
    elif kind == "not-a-zip":
        target = tmp_path / "notes.txt"
        target.write_text("hello")
    else:
        target.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = sbom(capsys, str(target), "--output", str(tmp_path / "out"))
    assert code == 2 and err.count("\n") == 1 and target.name in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("out/*.cdx.json"))


def test_output_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "code.zip"
    archive.write_bytes(package(CODE))
    (tmp_path / "out").write_text("a file")
    with pytest.raises(SystemExit) as stop:
        main(["sbom", str(archive), "--output", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert "not a folder" in capsys.readouterr().err
