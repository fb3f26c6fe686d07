from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from readme import README, block_after, run_block
from redis.asyncio.retry import Retry

from openai_agents_session.redis import acl_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest installs tomli on Python 3.10
    import tomli as tomllib


def test_readme_acl_is_what_acl_rules_returns() -> None:
    """The ACL the README documents is exactly the one the library computes and tests use."""
    documented = " ".join(block_after("### Least-privilege ACL").split())
    assert documented == f"ACL SETUSER app on >password {acl_rules()}"


async def test_readme_production_client_is_configured_to_retry() -> None:
    """The README's production client builds and carries its retry policy and timeouts."""
    client = run_block("### Retries and timeouts")["production_client"]("redis://127.0.0.1:1")
    try:
        connection_kwargs = client.connection_pool.connection_kwargs
        assert connection_kwargs["socket_timeout"] == 5.0
        assert isinstance(connection_kwargs["retry"], Retry)
    finally:
        await client.aclose()


# --------------------------------------------------------------------------------------------
# Links: the README is also the package's page on PyPI, where a relative link leads nowhere.
# --------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
DOCUMENTATION = PROJECT["urls"]["Documentation"]
RAW_FILES = REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/")

_FENCED = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,}).*?^[ \t]*(?P=fence)[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(?P<ticks>`+).+?(?P=ticks)", re.S)
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?(?P<target>[^)\s>]*)>?(?:\s[^)]*)?\)")
_REFERENCE = re.compile(r"^[ ]{0,3}\[[^\]]+\]:\s*<?(?P<target>[^\s>]+)", re.M)
_AUTOLINK = re.compile(r"<(?P<target>[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*)>")
_HTML = re.compile(r"""\b(?:href|src)\s*=\s*["'](?P<target>[^"']*)["']""", re.I)


def readme_links(markdown: str) -> list[str]:
    """Every link and image target of ``markdown``, outside code."""
    prose = _CODE_SPAN.sub("", _FENCED.sub("", markdown))
    return [
        match["target"]
        for pattern in (_INLINE, _REFERENCE, _AUTOLINK, _HTML)
        for match in pattern.finditer(prose)
    ]


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub and PyPI give the headings of ``markdown``."""
    headings = re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", _FENCED.sub("", markdown), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_readme_link_collector_finds_every_kind_of_link() -> None:
    """The collector sees inline links, images, references, autolinks and HTML, not code."""
    sample = (
        "[a](docs/a.md) ![b](b.png 'title') [c][ref] <https://d.example/>\n"
        '<img src="e.png"> `[f](f.md)` [g [h]](#g)\n\n[ref]: ./c.md\n'
        "```markdown\n[i](i.md)\n```\n"
    )
    assert sorted(readme_links(sample)) == sorted(
        ["docs/a.md", "b.png", "./c.md", "https://d.example/", "e.png", "#g"]
    )


def test_readme_links_are_absolute_or_in_page_anchors() -> None:
    """Every link and image of README.md works on PyPI: an http(s) URL or a heading's anchor."""
    markdown = README.read_text(encoding="utf-8")
    links = readme_links(markdown)
    assert links, "no link found in README.md: is the collector broken?"
    anchors = heading_anchors(markdown)
    for target in links:
        if target.startswith("#"):
            assert target[1:] in anchors, f"README.md links to {target}, which no heading has"
            continue
        url = urlsplit(target)
        assert url.scheme in ("http", "https") and url.netloc, (
            f"README.md links to {target!r}: relative links break on PyPI; use an absolute URL"
        )


def test_readme_links_into_the_project_name_what_exists() -> None:
    """A README link to a file of the repository or a docs page names one that exists."""
    for target in readme_links(README.read_text(encoding="utf-8")):
        for base in (f"{REPOSITORY}/blob/main/", f"{REPOSITORY}/tree/main/", f"{RAW_FILES}/main/"):
            if target.startswith(base):
                path = target.removeprefix(base).split("#")[0]
                assert (ROOT / path).exists(), f"README.md links to {target}: no file {path}"
        if target.startswith(f"{DOCUMENTATION}en/latest/"):
            page = target.removeprefix(f"{DOCUMENTATION}en/latest/").split("#")[0].strip("/")
            sources = [ROOT / "docs" / f"{page}.md", ROOT / "docs" / page / "index.md"]
            assert any(source.is_file() for source in sources), (
                f"README.md links to {target}: no docs page docs/{page or 'index'}.md"
            )


def test_readme_is_the_package_long_description() -> None:
    """The package metadata takes README.md as its description, rendered as Markdown."""
    assert PROJECT["readme"] == {"file": "README.md", "content-type": "text/markdown"}
    for name in ("Homepage", "Documentation", "Repository", "Issues", "Changelog"):
        assert urlsplit(PROJECT["urls"][name]).scheme == "https", name


def test_readme_backends_table_names_real_extras_and_classes() -> None:
    """Each row of the README's backends table names an extra and a class the package has."""
    import openai_agents_session

    text = README.read_text(encoding="utf-8")
    start = text.index("| Store | Extra | Class | URL |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    extras = PROJECT["optional-dependencies"]
    included = re.fullmatch(r"openai-agents-session\[(.*)\]", extras["all"][0])
    assert included is not None
    all_extras = included.group(1).split(",")
    assert len(rows) >= 2
    for row in rows:
        _, extra, class_name, _ = (cell.strip().strip("`") for cell in row.strip("|").split("|"))
        assert extra in extras, f"README names the extra {extra!r}, which pyproject.toml lacks"
        assert class_name in openai_agents_session.__all__, f"{class_name} is not exported"
        assert extra in all_extras, f"the all extra does not install {extra!r}"
