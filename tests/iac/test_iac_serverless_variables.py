"""Serverless Framework variables: ``${file()}`` inside the service folder (and refused outside),
``self``/``opt``/``sls``/``env``/``param``/``aws``, nesting, defaults, and ``functions`` /
``resources`` given as files, with origins in the included files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fortress.inventory import NOTE_GAP, Inventory, Unknown
from fortress.sources import serverless, serverless_vars
from fortress.sources.base import IacOptions

FILES = Path(__file__).parent / "fixtures" / "serverless" / "files"


def _env(inv: Inventory, function: str) -> dict[str, object]:
    fn = next(f for f in inv.functions if f.name == function)
    return {e.name: e.value for e in fn.environment}


def _service(tmp_path: Path, body: str, **files: str) -> Path:
    (tmp_path / "svc").mkdir()
    for name, text in files.items():
        target = tmp_path / "svc" / name.replace("__", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "svc" / "serverless.yml").write_text(body)
    return tmp_path / "svc" / "serverless.yml"


def _gaps(inv: Inventory) -> list[tuple[str, int | None, str]]:
    return [(Path(n.file).name, n.line, n.message) for n in inv.notes if n.kind == NOTE_GAP]


def test_file_self_nested_and_defaults_resolve() -> None:
    inv = serverless.load(FILES, IacOptions())
    env = _env(inv, "shop-dev-hello")
    assert env["TABLE"] == "orders-dev"  # ${self:custom.settings.tables.${sls:stage}} via a file
    assert env["NESTED"] == "orders-dev"  # ${self:custom.settings.tables.${opt:stage, 'dev'}}
    assert env["BUCKET"] == "shop-assets"  # ${file(./conf/settings.yml):bucket, 'no-bucket'}
    assert env["FALLBACK"] == "from-default"  # missing file with a default: no gap
    assert env["QUOTED"] == "double-quoted"  # ${self:custom.nothing, "double-quoted"}
    assert env["REGION"] == "eu-west-1"  # ${aws:region} is provider.region
    assert env["STAGE"] == "dev"
    prod = serverless.load(FILES, IacOptions(parameters={"stage": "prod", "region": "us-west-2"}))
    assert _env(prod, "shop-prod-hello") == {"TABLE": "orders-prod"}  # env.json's prod key
    assert next(r for r in prod.roles if r.name.endswith("lambdaRole")).name == (
        "shop-prod-us-west-2-lambdaRole"
    )


def test_remote_sources_are_unknown_with_a_reason() -> None:
    env = _env(serverless.load(FILES, IacOptions()), "shop-dev-hello")
    reasons = {k: v.reason for k, v in env.items() if isinstance(v, Unknown)}
    assert "ssm" in reasons["DB_URL"] and "deployment" in reasons["DB_URL"]
    assert "cf" in reasons["OTHER_STACK"]
    assert "aws:accountId" in reasons["ACCOUNT"]
    assert "--parameter DEPLOY_USER=" in reasons["DEPLOY_USER"]
    assert "absent.yml" in reasons["MISSING"]
    given = serverless.load(FILES, IacOptions(parameters={"DEPLOY_USER": "ci"}, account="1" * 12))
    env = _env(given, "shop-dev-hello")
    assert (env["DEPLOY_USER"], env["ACCOUNT"]) == ("ci", "1" * 12)


def test_env_never_reads_the_scanners_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY_USER", "root-on-my-laptop")
    env = _env(serverless.load(FILES, IacOptions()), "shop-dev-hello")
    assert isinstance(env["DEPLOY_USER"], Unknown)
    via_var = serverless.load(FILES, IacOptions(variables={"DEPLOY_USER": "from-var"}))
    assert _env(via_var, "shop-dev-hello")["DEPLOY_USER"] == "from-var"


def test_unresolvable_file_is_a_gap_at_its_line() -> None:
    inv = serverless.load(FILES, IacOptions())
    # custom.missing (line 13) has no default; custom.fallback (line 14) has one: no gap.
    assert _gaps(inv) == [
        ("serverless.yml", 13, "./conf/absent.yml: no such file in the service folder")
    ]
    assert [n.subject for n in inv.notes] == ["${file(./conf/absent.yml)}"]


def test_functions_and_resources_given_as_files_keep_their_lines() -> None:
    inv = serverless.load(FILES, IacOptions())
    where = {f.name: (Path(str(f.origin.file)).name, f.origin.line) for f in inv.functions}
    assert where == {
        "shop-dev-hello": ("functions.yml", 2),
        "shop-dev-report": ("functions.yml", 6),
    }
    report = next(f for f in inv.functions if f.name == "shop-dev-report")
    role = next(r for r in inv.roles if r.arn == report.role_arn)  # role from resources.yml
    assert (role.name, Path(str(role.origin.file)).name, role.origin.line) == (
        "ReportRole",
        "resources.yml",
        2,
    )
    statement = role.inline_policies[0].document["Statement"][0]  # type: ignore[index]
    assert statement["Resource"] == "arn:aws:s3:::shop-assets/*"  # ${self:...} inside the file
    shared = next(r for r in inv.roles if r.origin.logical_id == "IamRoleLambdaExecution")
    statements = shared.inline_policies[0].document["Statement"]  # type: ignore[index]
    assert {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "*"} in statements
    assert [a.kind for a in inv.apis] == ["http"]
    # A resource included from an included file, ${self:service} resolved against serverless.yml.
    assert "shop-audit" in {r.name for r in inv.roles}


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("../outside.yml", "is outside the service folder"),
        ("./conf/../../outside.yml", "is outside the service folder"),
        ("/etc/hostname", "is outside the service folder"),
        ("./escape.yml", "is outside the service folder"),  # a symlink pointing out
        ("./conf", "is not a regular file"),
        ("./build.js", "a script the framework runs"),
        ("./broken.yml", "does not parse"),
        ("./nope.yml", "no such file"),
    ],
)
def test_file_outside_or_unreadable_is_refused(
    tmp_path: Path, reference: str, expected: str
) -> None:
    (tmp_path / "outside.yml").write_text("password: hunter2\n")
    path = _service(
        tmp_path,
        "service: s\nprovider:\n  name: aws\n  runtime: python3.12\n"
        f"  environment:\n    VALUE: ${{file({reference}):password}}\n"
        "functions:\n  f:\n    handler: h.f\n",
        conf__x="a: 1\n",
        **{"build.js": "module.exports = () => ({})\n", "broken.yml": "a: [1\n"},
    )
    os.symlink(tmp_path / "outside.yml", path.parent / "escape.yml")
    inv = serverless.load(path, IacOptions())
    assert len(inv.functions) == 1  # the service is scanned all the same
    value = _env(inv, "s-dev-f")["VALUE"]
    assert isinstance(value, Unknown) and "hunter2" not in value.reason
    [(file, line, message)] = _gaps(inv)
    assert (file, line) == ("serverless.yml", 6)
    assert expected in message and reference.strip("./").split("/")[-1] in message


def test_file_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serverless_vars, "MAX_FILE_BYTES", 64)
    path = _service(
        tmp_path,
        "service: s\nprovider:\n  name: aws\n  environment: ${file(./big.yml)}\n"
        "functions:\n  f:\n    handler: h.f\n",
        **{"big.yml": "A: " + "x" * 200 + "\n"},
    )
    inv = serverless.load(path, IacOptions())
    assert [m for _, _, m in _gaps(inv)] == [
        "./big.yml is larger than the limit of 64 bytes; not read"
    ]


def test_functions_file_missing_is_a_gap_not_an_empty_clean_service(tmp_path: Path) -> None:
    path = _service(
        tmp_path,
        "service: s\nprovider:\n  name: aws\nfunctions: ${file(./functions.yml)}\n"
        "resources:\n  - ${file(./missing-resources.yml)}\n",
    )
    inv = serverless.load(path, IacOptions())
    assert inv.functions == []
    assert [(line, m.split(":")[0]) for _, line, m in _gaps(inv)] == [
        (4, "./functions.yml"),
        (6, "./missing-resources.yml"),
    ]


def test_functions_as_a_list_of_files_and_a_file_key(tmp_path: Path) -> None:
    path = _service(
        tmp_path,
        "service: s\nprovider:\n  name: aws\n  runtime: nodejs20.x\n"
        "functions:\n  - ${file(./a.yml)}\n  - ${file(./b.yml):functions}\n",
        **{
            "a.yml": "one:\n  handler: a.one\n",
            "b.yml": "other: 1\nfunctions:\n  two:\n    handler: b.two\n",
        },
    )
    inv = serverless.load(path, IacOptions())
    assert sorted((f.name, Path(str(f.origin.file)).name) for f in inv.functions) == [
        ("s-dev-one", "a.yml"),
        ("s-dev-two", "b.yml"),
    ]


def test_circular_self_reference_is_unknown_not_a_crash(tmp_path: Path) -> None:
    path = _service(
        tmp_path,
        "service: s\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n"
        "provider:\n  name: aws\n  environment:\n    A: ${self:custom.a}\n"
        "functions:\n  f:\n    handler: h.f\n",
    )
    value = _env(serverless.load(path, IacOptions()), "s-dev-f")["A"]
    assert isinstance(value, Unknown)


def test_param_from_params_block_and_default_stage(tmp_path: Path) -> None:
    path = _service(
        tmp_path,
        "service: s\nparams:\n  default: {q: d}\n  prod: {q: p}\n"
        "provider:\n  name: aws\n  environment:\n    Q: ${param:q}\n    R: ${param:r}\n"
        "functions:\n  f:\n    handler: h.f\n",
    )
    assert _env(serverless.load(path, IacOptions()), "s-dev-f")["Q"] == "d"
    prod = serverless.load(path, IacOptions(parameters={"stage": "prod"}))
    env = _env(prod, "s-prod-f")
    assert env["Q"] == "p" and isinstance(env["R"], Unknown)
