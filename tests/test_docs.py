"""The documentation: the MkDocs site in docs/ builds with --strict (any broken link, missing
anchor or page left out of the navigation fails), and README.md stays a short front door
whose every link points to a file of the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)|\b(?:src|href)=\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "index.html").exists()
    for page in ("sandbox", "configuration", "deployment", "api", "reliability", "benchmarks",
                 "tests", "architecture", "sign-in", "ews", "sideloading",
                 "attendees-and-invitations", "upstream-facts"):
        assert (tmp_path / f"{page}.html").exists(), page


def test_the_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) <= 250


def _links(text: str) -> list[str]:
    return [a or b for a, b in LINK.findall(FENCE.sub("", text))]


def _anchors(page: Path) -> set[str]:
    return {slugify(re.sub(r"[`*]", "", h), "-") for h in HEADING.findall(
        FENCE.sub("", page.read_text()))}


def test_every_readme_link_points_into_the_repository() -> None:
    links = _links(README.read_text())
    assert links, "README links nowhere"
    for link in links:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", link, re.IGNORECASE), (
            f"README points outside the repository: {link}")
        path, _, anchor = link.partition("#")
        target = (ROOT / unquote(path)).resolve() if path else README
        assert target.is_relative_to(ROOT), link
        assert target.exists(), f"README links to a missing file: {link}"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"README links to a missing heading: {link}"


def test_the_screenshots_are_pictures() -> None:
    for name in ("pane.png", "meeting.png"):
        picture = ROOT / "docs" / "images" / name
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
