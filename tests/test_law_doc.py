"""docs/law.md is where code and tests point for the law they apply: every citation of it must
land on an entry, every test it names as proof must exist, and nothing may point at the old
notes outside the repository any more.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAW = ROOT / "docs" / "law.md"
# Built from parts so that this file does not cite anything itself.
CITATION = re.compile(re.escape("docs/law.md") + "#" + r"([A-Za-z0-9_-]+)")
OLD_NOTES = "DOMAIN" + ".md"
SKIPPED = {".venv", ".git", "instance", "node_modules", "__pycache__", "amparo.egg-info"}
TEXT_SUFFIXES = {".py", ".html", ".md", ".js", ".css", ".txt", ".toml", ".cfg", ".po", ".pot"}


def _project_files(*tops: str):
    starts = [ROOT / top for top in tops] if tops else [ROOT]
    for start in starts:
        for path in sorted(start.rglob("*")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & SKIPPED or not path.is_file() or path.suffix not in TEXT_SUFFIXES:
                continue
            yield path


def _anchors() -> list[str]:
    return re.findall(r'<a id="([^"]+)"></a>', LAW.read_text(encoding="utf-8"))


def test_each_anchor_is_defined_once():
    anchors = _anchors()
    assert len(anchors) > 20
    assert sorted(a for a in set(anchors) if anchors.count(a) > 1) == []


def test_every_citation_of_the_law_page_lands_on_an_entry():
    anchors = set(_anchors())
    broken = [
        f"{path.relative_to(ROOT)}: #{anchor}"
        for path in _project_files()
        for anchor in CITATION.findall(path.read_text(encoding="utf-8", errors="replace"))
        if anchor not in anchors
    ]
    # Links between entries of the page itself.
    broken += [
        f"docs/law.md: #{anchor}"
        for anchor in re.findall(r"\]\(#([^)]+)\)", LAW.read_text(encoding="utf-8"))
        if anchor not in anchors
    ]
    assert broken == []


def test_the_code_cites_the_law_page():
    cited = {
        anchor
        for top in ("web", "tenants", "jobs", "letters", "tests")
        for path in _project_files(top)
        for anchor in CITATION.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert {"lau-da3-lodgement", "interest-actual-365", "rates-as-data"} <= cited


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_law_page_names_exists():
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", LAW.read_text(encoding="utf-8"))
    assert len(named) > 50
    missing = []
    for file, name in named:
        path = ROOT / file
        if not path.is_file() or name not in _defined_tests(path):
            missing.append(f"{file}::{name}")
    assert missing == []


def test_nothing_cites_the_old_domain_notes_any_more():
    stale = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _project_files("web", "tenants", "jobs", "letters", "tests")
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1
        )
        if OLD_NOTES in line
    ]
    assert stale == []
