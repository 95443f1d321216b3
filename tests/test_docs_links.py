"""The documentation's links resolve: every relative link and anchor in README.md and docs/*.md.

A newcomer follows the README's table into docs/ and from page to page; a page renamed or a
heading reworded must not leave a dead link behind. External (http, mailto) links are not
fetched: the tests never reach the internet.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
# [text](target) and [text](target "title"); images too. Not reference-style links (none used).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _prose(markdown: str) -> str:
    """The text links can live in: fenced code blocks and code spans removed."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors_of(page: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        anchor = github_anchor(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file or anchor does not exist, as `target: why`."""
    problems = []
    for target in LINK.findall(_prose(page.read_text())):
        if EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.exists():
            problems.append(f"{target}: {destination} does not exist")
            continue
        if anchor and destination.suffix == ".md" and anchor not in anchors_of(destination):
            problems.append(f"{target}: no heading #{anchor} in {destination.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_links_every_docs_page() -> None:
    linked = {target.partition("#")[0] for target in LINK.findall(_prose((ROOT / "README.md").read_text()))}

    assert {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")} <= linked


def test_the_check_finds_a_missing_page_and_a_missing_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## The `make run` step, again\n")
    page = tmp_path / "page.md"
    page.write_text(
        "See [other](other.md#the-make-run-step-again), [gone](gone.md), [bad](other.md#nowhere),"
        " [self](#a-title) and [web](https://example.com/x).\n\n# A title\n\n```\n[not a link](nope.md)\n```\n"
    )

    assert broken_links(page) == [
        f"gone.md: {tmp_path / 'gone.md'} does not exist",
        "other.md#nowhere: no heading #nowhere in other.md",
    ]
