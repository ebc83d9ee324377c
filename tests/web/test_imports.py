"""Every module of web/ imports on its own, in a fresh interpreter: no import circle hides
behind the order in which create_app happens to import them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def _modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "web").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_web_module_imports_alone():
    """`import web.collections` used to fail: a circle through the lease page, which took its
    letter labels from the case page (now in web/labels.py)."""
    failures = {}
    for module in _modules():
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            failures[module] = result.stderr.strip().splitlines()[-1]
    assert failures == {}
