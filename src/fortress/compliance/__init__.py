"""Compliance frameworks as data: which rules evidence which control, and per-control summaries.

The mappings live in ``compliance/data/<framework>.yaml`` (one file per framework), not in
code; :mod:`fortress.compliance.frameworks` loads them and
:mod:`fortress.compliance.summary` judges each control from a scan's findings. This package
imports only :mod:`fortress.findings`, so every reporter may use it.
"""

from fortress.compliance.frameworks import (
    Control,
    Framework,
    all_frameworks,
    get_framework,
    select_frameworks,
)
from fortress.compliance.summary import STATUSES, summarize

__all__ = [
    "STATUSES",
    "Control",
    "Framework",
    "all_frameworks",
    "get_framework",
    "select_frameworks",
    "summarize",
]
