"""Risky handler code: the tree-sitter analysers on real files, and FTR-CODE-005 / FTR-EPH-004."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fortress.findings import Finding, Status
from fortress.inventory import (
    PACKAGE_ANALYSED,
    PACKAGE_NOT_RUN,
    RISK_CACHED_CREDENTIALS,
    RISK_COMMAND,
    RISK_DESERIALIZATION,
    RISK_EVAL,
    RISK_TMP_SECRET,
    CodeRisk,
    Function,
    Inventory,
    Origin,
    PackageAnalysis,
)
from fortress.packages import code_risk
from fortress.packages.files import PackageFile, from_directory
from fortress.rules import engine

ORIGIN = Origin(source="aws", account="123456789012", region="us-east-1")


def write(root: Path, files: dict[str, str]) -> list[PackageFile]:
    for name, body in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(body).lstrip("\n"))
    return list(from_directory(root))


def scan(
    tmp_path: Path, files: dict[str, str], handler: str | None = None, runtime: str | None = None
) -> list[CodeRisk]:
    return code_risk.scan(write(tmp_path, files), handler=handler, runtime=runtime)


def found(risks: list[CodeRisk]) -> set[tuple[str, int, str, bool]]:
    return {(r.kind, r.line, r.sink, r.from_event) for r in risks}


# --------------------------------------------------------------------------- Python

PY_HANDLER = """
import os
import pickle
import subprocess
import json
import yaml

def handler(event, context):
    body = json.loads(event["body"])
    name = body.get("name")
    line = f"echo {name}"
    os.system(line)
    subprocess.run("ls " + name, shell=True)
    eval(event["expr"])
    pickle.loads(event["blob"])
    yaml.load(body["doc"])
    return {"ok": True}
"""


def test_python_event_reaches_each_sink_with_line(tmp_path: Path) -> None:
    risks = scan(tmp_path, {"app.py": PY_HANDLER}, handler="app.handler", runtime="python3.12")
    assert found(risks) == {
        (RISK_COMMAND, 11, "os.system", True),
        (RISK_COMMAND, 12, "subprocess.run", True),
        (RISK_EVAL, 13, "eval", True),
        (RISK_DESERIALIZATION, 14, "pickle.loads", True),
        (RISK_DESERIALIZATION, 15, "yaml.load", True),
    }
    assert all(r.file == "app.py" and r.layer is None for r in risks)
    assert "handler's event" in risks[0].detail


def test_python_constants_safe_loader_and_no_shell_are_not_risks(tmp_path: Path) -> None:
    risks = scan(
        tmp_path,
        {
            "app.py": """
            import os, subprocess, yaml
            from yaml import SafeLoader

            def handler(event, context):
                os.system("ls -l /tmp")
                subprocess.run(["convert", event["key"]])
                subprocess.run("uptime", shell=True)
                yaml.load(event["doc"], Loader=yaml.SafeLoader)
                yaml.load(event["doc"], SafeLoader)
                yaml.safe_load(event["doc"])
                eval("1 + 2")
            """
        },
        handler="app.handler",
    )
    assert risks == []


def test_python_taint_through_chains_aliases_and_untraced(tmp_path: Path) -> None:
    risks = scan(
        tmp_path,
        {
            "src/app.py": """
            import os
            import subprocess as sp
            from pickle import loads as unpickle

            def lambda_handler(evt, ctx):
                params = evt.get("queryStringParameters") or {}
                host = params["host"]
                cmd = "ping -c1 " + host
                full = f"{cmd} && true"
                sp.check_output(full, shell=True)
                unpickle(bytes.fromhex(params["state"]))
                local = os.environ.get("TOOL")
                os.popen(local)
            """
        },
        handler="src/app.lambda_handler",
    )
    assert found(risks) == {
        (RISK_COMMAND, 10, "sp.check_output", True),
        (RISK_DESERIALIZATION, 11, "unpickle", True),
        (RISK_COMMAND, 13, "os.popen", False),
    }


def test_python_handler_param_named_by_handler_only(tmp_path: Path) -> None:
    # With the handler named, only that function's first parameter is the event.
    files = {
        "app.py": """
        import os

        def helper(event, context):
            os.system(event["x"])

        def main(payload, _ctx):
            os.system(payload["x"])
        """
    }
    by_handler = scan(tmp_path, files, handler="app.main")
    assert found(by_handler) == {
        (RISK_COMMAND, 4, "os.system", False),
        (RISK_COMMAND, 7, "os.system", True),
    }
    # Without a handler, every (event, context) function is a handler.
    assert found(code_risk.scan(list(from_directory(tmp_path)))) == {
        (RISK_COMMAND, 4, "os.system", True),
        (RISK_COMMAND, 7, "os.system", False),
    }


def test_python_tmp_secret_and_module_level_credentials(tmp_path: Path) -> None:
    risks = scan(
        tmp_path,
        {
            "app.py": """
            import json
            import os
            import boto3

            sm = boto3.client("secretsmanager")
            ssm = boto3.client("ssm")
            DB = json.loads(sm.get_secret_value(SecretId="db")["SecretString"])
            KEY = ssm.get_parameter(Name="/k", WithDecryption=True)["Parameter"]["Value"]
            AWS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
            REGION = os.environ["AWS_REGION"]

            def handler(event, context):
                api_token = os.environ["API_TOKEN"]
                with open("/tmp/token", "w") as fh:
                    fh.write(api_token)
                with open("/tmp/log.txt", "a") as log:
                    log.write(event["message"])
                with open("/var/task/x", "w") as other:
                    other.write(api_token)
                return DB
            """
        },
        handler="app.handler",
    )
    assert found(risks) == {
        (RISK_CACHED_CREDENTIALS, 7, "get_secret_value", False),
        (RISK_CACHED_CREDENTIALS, 8, "get_parameter(WithDecryption=True)", False),
        (RISK_CACHED_CREDENTIALS, 9, "AWS_SECRET_ACCESS_KEY", False),
        (RISK_TMP_SECRET, 15, "fh.write", False),
    }


def test_syntax_error_binary_and_huge_files_do_not_crash(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "broken.py": "def handler(event, context):\n    os.system(event['x']\n",
            "broken.js": "exports.handler = async (event) => { eval(event.x) ",
        },
    )
    (tmp_path / "bin.py").write_bytes(b"\x00\x01os.system(event)")
    (tmp_path / "big.js").write_text("eval(x);\n" * (code_risk.MAX_CODE_BYTES // 9 + 10))
    assert code_risk.scan(list(from_directory(tmp_path))) == []
    assert code_risk.scan(files, handler="broken.handler") == []


def test_third_party_folders_are_not_read(tmp_path: Path) -> None:
    sink = "import os\ndef handler(event, context):\n    os.system(event['x'])\n"
    risks = scan(
        tmp_path,
        {
            "node_modules/lib/index.js": "exports.h = (event, context) => eval(event.x);\n",
            "python/lib/python3.12/site-packages/lib/mod.py": sink,
            "lib-1.0.dist-info/x.py": sink,
            "mine.py": sink,
        },
    )
    assert [(r.file, r.line) for r in risks] == [("mine.py", 3)]


# --------------------------------------------------------------------------- Node.js

JS_HANDLER = """
const { exec } = require('child_process');
const cp = require('node:child_process');
const vm = require('vm');
const serialize = require('node-serialize');

exports.handler = async (event, context) => {
  const { body } = event;
  const name = JSON.parse(body).name;
  exec(`ls ${name}`);
  cp.spawn(name, [], { shell: true });
  cp.spawn('ls', [name]);
  cp.execSync('uptime');
  eval(event.code);
  const fn = new Function('a', event.src);
  vm.runInNewContext(name);
  serialize.unserialize(body);
  return fn;
};
"""


@pytest.mark.parametrize("ext", [".js", ".cjs"])
def test_node_event_reaches_each_sink(tmp_path: Path, ext: str) -> None:
    risks = scan(tmp_path, {f"app{ext}": JS_HANDLER}, handler="app.handler", runtime="nodejs20.x")
    assert found(risks) == {
        (RISK_COMMAND, 9, "exec", True),
        (RISK_COMMAND, 10, "cp.spawn", True),
        (RISK_EVAL, 13, "eval", True),
        (RISK_EVAL, 14, "new Function", True),
        (RISK_EVAL, 15, "vm.runInNewContext", True),
        (RISK_DESERIALIZATION, 16, "serialize.unserialize", True),
    }


def test_node_esm_typescript_and_untraced(tmp_path: Path) -> None:
    risks = scan(
        tmp_path,
        {
            "index.mjs": """
            import { execSync as run } from 'node:child_process';
            import * as fs from 'fs';
            const TOOL = process.env.TOOL;
            export const handler = async (event) => {
              const q = event.queryStringParameters.q;
              run('grep ' + q);
              run(TOOL);
              run('ls');
            };
            """,
            "worker.ts": """
            import { exec } from 'child_process';
            export async function handler(event: any, context: any): Promise<void> {
              const cmd: string = event.detail.cmd;
              exec(cmd);
            }
            """,
        },
        runtime="nodejs20.x",
    )
    assert {(r.file, r.line, r.sink, r.from_event) for r in risks} == {
        ("index.mjs", 6, "run", False),  # no handler named: (event) alone is not (event, context)
        ("index.mjs", 7, "run", False),
        ("worker.ts", 4, "exec", True),
    }
    named = scan(tmp_path, {}, handler="index.handler", runtime="nodejs20.x")
    assert {(r.line, r.from_event) for r in named} == {(6, True), (7, False)}


def test_node_tmp_secret_and_module_credentials(tmp_path: Path) -> None:
    risks = scan(
        tmp_path,
        {
            "app.js": """
            const fs = require('fs');
            const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
            const sm = new SecretsManagerClient({});
            const secret = await sm.send(new GetSecretValueCommand({ SecretId: 'db' }));
            const region = process.env.AWS_REGION;
            exports.handler = async (event, context) => {
              const apiToken = process.env.API_TOKEN;
              fs.writeFileSync('/tmp/token', apiToken);
              fs.writeFileSync('/tmp/out.json', JSON.stringify(event));
              fs.writeFileSync('/var/task/x', apiToken);
            };
            """
        },
        handler="app.handler",
    )
    assert found(risks) == {
        (RISK_CACHED_CREDENTIALS, 4, "GetSecretValue", False),
        (RISK_TMP_SECRET, 8, "fs.writeFileSync", False),
    }


# --------------------------------------------------------------------------- rules


def run(rule_id: str, package: PackageAnalysis | None) -> list[Finding]:
    import fortress.rules.package_code  # noqa: F401

    fn = Function(
        name="api",
        arn="arn:aws:lambda:us-east-1:123456789012:function:api",
        origin=ORIGIN,
        handler="app.handler",
        runtime="python3.12",
        package=package,
    )
    return engine.evaluate(Inventory(functions=[fn]), [engine._REGISTRY[rule_id]])


def analysed(tmp_path: Path, files: dict[str, str]) -> PackageAnalysis:
    risks = scan(tmp_path, files, handler="app.handler", runtime="python3.12")
    return PackageAnalysis(status=PACKAGE_ANALYSED, files=len(files), code_risks=risks)


def test_rule_code005_fails_on_event_data_and_passes_otherwise(tmp_path: Path) -> None:
    (bad,) = run("FTR-CODE-005", analysed(tmp_path / "bad", {"app.py": PY_HANDLER}))
    assert bad.status is Status.FAIL
    assert "os.system at app.py:11 (command-execution)" in bad.message
    assert "yaml.load at app.py:15 (unsafe-deserialization)" in bad.message
    assert len(bad.evidence["risks"]) == 5

    untraced = {
        "app.py": "import os\ndef handler(event, context):\n    os.system(os.environ['C'])\n"
    }
    (low,) = run("FTR-CODE-005", analysed(tmp_path / "low", untraced))
    assert low.status is Status.PASS and "lower confidence: os.system at app.py:3" in low.message

    clean = {"app.py": "import os\ndef handler(event, context):\n    os.system('ls')\n"}
    (good,) = run("FTR-CODE-005", analysed(tmp_path / "good", clean))
    assert good.status is Status.PASS and good.evidence == {}


def test_rule_eph004_fails_on_tmp_secret_and_passes_otherwise(tmp_path: Path) -> None:
    bad_src = {
        "app.py": """
        import boto3
        TOKEN = boto3.client("secretsmanager").get_secret_value(SecretId="t")["SecretString"]
        def handler(event, context):
            return TOKEN
        """
    }
    (bad,) = run("FTR-EPH-004", analysed(tmp_path / "bad", bad_src))
    assert bad.status is Status.FAIL
    assert "get_secret_value at app.py:2 (cached-credentials)" in bad.message
    good_src = {
        "app.py": """
        import boto3
        sm = boto3.client("secretsmanager")
        def handler(event, context):
            return sm.get_secret_value(SecretId="t")["SecretString"]
        """
    }
    (good,) = run("FTR-EPH-004", analysed(tmp_path / "good", good_src))
    assert good.status is Status.PASS


@pytest.mark.parametrize("rule_id", ["FTR-CODE-005", "FTR-EPH-004"])
def test_rules_unread_package(rule_id: str) -> None:
    assert run(rule_id, None) == []
    assert run(rule_id, PackageAnalysis(status=PACKAGE_NOT_RUN)) == []
    skipped = PackageAnalysis(
        status=PACKAGE_ANALYSED, skipped={"code": "code analysis failed: RecursionError"}
    )
    (finding,) = run(rule_id, skipped)
    assert finding.status is Status.UNKNOWN and "RecursionError" in finding.message
