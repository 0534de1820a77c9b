"""Benchmark: FTR-IAM-011's takeover analysis on a synthetic account (no emulator, no I/O).

Usage::

    .venv/bin/python bench/who_can.py [--functions 1000] [--users 300] [--roles 200]

Every tenth user may update a prefix of functions, three roles hold ``*``, the others hold
unrelated or read-only permissions. Reports the time to parse the principals once and to judge
every function (as a scan does, sharing the parse), and the number of takers found; JSON on the
last line.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from fortress.iam import takeover
from fortress.inventory import Function, IamAccount, IamUser, Origin, Policy, Role

ACCOUNT = "123456789012"
ORIGIN = Origin(source="aws", account=ACCOUNT, region="us-east-1")


def _policy(name: str, statements: list[dict[str, Any]]) -> Policy:
    return Policy(name=name, document={"Statement": statements}, inline=True)


def account(users: int, roles: int) -> IamAccount:
    people = []
    for i in range(users):
        statements: list[dict[str, Any]] = [
            {"Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "lambda:Get*", "Resource": "*"},
        ]
        if i % 10 == 0:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "lambda:UpdateFunctionCode",
                    "Resource": f"arn:aws:lambda:*:{ACCOUNT}:function:app-{i}*",
                }
            )
        people.append(
            IamUser(
                name=f"u{i}",
                arn=f"arn:aws:iam::{ACCOUNT}:user/u{i}",
                origin=ORIGIN,
                inline_policies=[_policy(f"u{i}", statements)],
            )
        )
    role_list = [
        Role(
            name=f"r{i}",
            arn=f"arn:aws:iam::{ACCOUNT}:role/r{i}",
            origin=ORIGIN,
            inline_policies=[
                _policy(
                    f"r{i}",
                    [{"Effect": "Allow", "Action": "*" if i < 3 else "logs:*", "Resource": "*"}],
                )
            ],
        )
        for i in range(roles)
    ]
    return IamAccount(account=ACCOUNT, users=people, roles=role_list, scps=[])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--roles", type=int, default=200)
    args = parser.parse_args()
    acct = account(args.users, args.roles)
    functions = [
        Function(
            name=f"app-{i}",
            arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app-{i}",
            origin=ORIGIN,
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/r{i % max(1, args.roles)}",
        )
        for i in range(args.functions)
    ]
    start = time.perf_counter()
    parsed = takeover.principals(acct)
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    takers = sum(len(takeover.who_can(fn, acct, parsed=parsed).takers) for fn in functions)
    judge_s = time.perf_counter() - start
    print(f"parse {len(parsed[0])} principals: {parse_s:.2f} s")
    print(f"judge {len(functions)} functions: {judge_s:.2f} s ({takers} takers)")
    print(
        json.dumps(
            {
                "functions": len(functions),
                "principals": len(parsed[0]),
                "parse_s": round(parse_s, 3),
                "judge_s": round(judge_s, 3),
                "takers": takers,
            }
        )
    )


if __name__ == "__main__":
    main()
