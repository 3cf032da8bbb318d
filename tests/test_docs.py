"""The README and docs point at files a clone has (issue 13: `../shared/SPEC.md` was outside it)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A Markdown link's target, or a path in backticks that looks like a file of the project.
LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)")
PATH = re.compile(r"`(\.\./[^`\s]+|[\w./-]+\.md)`")


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_linked_file_is_in_the_project(doc):
    text = doc.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)] + PATH.findall(text)
    missing = [t for t in targets if not (doc.parent / t).resolve().is_file() and not (ROOT / t).is_file()]
    assert missing == []
    for target in targets:
        assert (doc.parent / target).resolve().is_relative_to(ROOT) or (ROOT / target).is_file(), target


def test_the_readme_says_where_the_product_is_described():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/product.md)" in readme
    product = (ROOT / "docs" / "product.md").read_text(encoding="utf-8")
    for subject in ("Staff", "Service Desk", "Заключение договора", "Регулярные платежи", "Working time"):
        assert subject in product
