"""What a build leaves in output/: the edition's files, its web version, the
archive index and the Atom feed partners republish from."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import feedparser
import pytest

from digest import load_config, open_digest
from digest.errors import ConfigError
from digest.types import BuildResult

from .conftest import SAMPLE_OPML, FeedServer, run_digest, write_config
from .editions import LOGO_PNG

THEMED = """
[theme]
logo = "logo.png"
accent = "#0b4f6c"
section_order = ["labour-rights", "press-freedom"]

[theme.section_titles]
labour-rights = "Unions under pressure"

[list]
id = "digest.test-office.example"
unsubscribe_mailto = "leave@test-office.example"
unsubscribe_url = "https://test-office.example/unsubscribe"
archive_url = "https://test-office.example/digest/"
"""


def build(folder: Path, extra: str = "", *, days_later: int = 0) -> BuildResult:
    (folder / "logo.png").write_bytes(LOGO_PNG)
    config = write_config(folder, SAMPLE_OPML, extra)
    with open_digest(load_config(config)) as digest:
        if days_later:
            later = digest._now() + timedelta(days=days_later)
            digest._now = lambda: later  # type: ignore[method-assign]
        digest.update()
        return digest.build()


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(tmp_path_factory.mktemp("themed"), THEMED)


def test_an_edition_folder_holds_the_email_its_parts_and_a_web_version(
    themed: BuildResult,
) -> None:
    folder = Path(themed.folder)
    names = {path.name for path in folder.iterdir()}
    assert names == {
        "email.html",
        "email.txt",
        "email.eml",
        "edition.json",
        "index.html",
        "logo.png",
    }
    assert (folder / "logo.png").read_bytes() == LOGO_PNG
    web = (folder / "index.html").read_text("utf-8")
    assert 'src="logo.png"' in web and "web version" in web


def test_the_eml_carries_list_headers_and_the_logo_inside(themed: BuildResult) -> None:
    raw = (Path(themed.folder) / "email.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["List-Id"] == "Test Press Office <digest.test-office.example>"
    assert "<mailto:leave@test-office.example?subject=unsubscribe>" in message["List-Unsubscribe"]
    assert "<https://test-office.example/unsubscribe>" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert html.get_content() == (Path(themed.folder) / "email.html").read_text("utf-8")
    [logo] = [part for part in message.walk() if part.get_content_maintype() == "image"]
    assert logo.get_payload(decode=True) == LOGO_PNG
    assert f'src="cid:{logo["Content-ID"].strip("<>")}"' in html.get_content()


def test_theme_settings_reach_the_email(themed: BuildResult) -> None:
    html = (Path(themed.folder) / "email.html").read_text("utf-8")
    assert "#0b4f6c" in html
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    assert headings[1:3] == ["Unions under pressure", "Press freedom"], headings
    text = (Path(themed.folder) / "email.txt").read_text("utf-8")
    assert "UNIONS UNDER PRESSURE" in text
    assert "https://test-office.example/unsubscribe" in text


def test_atom_feed_has_one_entry_per_edition_newest_first(tmp_path: Path) -> None:
    first = build(tmp_path)
    second = build(tmp_path, days_later=7)
    assert first.folder != second.folder
    output = Path(second.folder).parent
    feed = feedparser.parse((output / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == [
        second.rendered.subject,
        first.rendered.subject,
    ]
    assert len({entry.id for entry in feed.entries}) == 2
    assert feed.entries[0].summary == second.rendered.preheader
    for entry, result in zip(feed.entries, (second, first), strict=True):
        # No archive address configured: links are relative to feed.xml.
        assert (output / entry.link).resolve() == Path(result.folder) / "index.html"
    index = (output / "index.html").read_text("utf-8")
    assert index.index(Path(second.folder).name) < index.index(Path(first.folder).name)
    assert 'href="feed.xml"' in index


def test_atom_feed_uses_the_public_archive_address(themed: BuildResult) -> None:
    output = Path(themed.folder).parent
    feed = feedparser.parse((output / "feed.xml").read_bytes())
    assert feed.entries[0].link == (
        f"https://test-office.example/digest/{Path(themed.folder).name}/index.html"
    )
    assert feed.feed.links[0].href == "https://test-office.example/digest/feed.xml"


def test_an_edition_over_budget_is_flagged_by_the_run(tmp_path: Path) -> None:
    config = write_config(tmp_path, SAMPLE_OPML)
    text = config.read_text("utf-8").replace(
        "max_age_days = 0", "max_age_days = 0\nhtml_budget_kb = 5"
    )
    config.write_text(text, "utf-8")
    result = run_digest(config)
    assert result.returncode == 0, result.stderr
    assert "! email: the HTML is" in result.stderr and "over the 5 KB budget" in result.stderr
    data = (Path(result.stdout.strip().splitlines()[-1]).parent / "edition.json").read_text(
        "utf-8"
    )
    assert "over the 5 KB budget" in data


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ('\n[theme]\nsection_order = ["no-such-topic"]\n', "theme.section_order", "unknown topic"),
        ('\n[theme.section_titles]\nmade-up = "X"\n', "theme.section_titles", "unknown topic"),
        ('\n[theme]\nlogo = "digest.toml"\n', "theme.logo", "not a PNG, JPEG or GIF"),
        ('\n[theme]\nlogo = "missing.png"\n', "theme.logo", "cannot be read"),
    ],
)
def test_theme_mistakes_name_the_file_and_setting(
    tmp_path: Path, extra: str, key: str, message: str
) -> None:
    config = write_config(tmp_path, SAMPLE_OPML, extra)
    with open_digest(load_config(config)) as digest, pytest.raises(ConfigError) as caught:
        digest.build()
    assert f"{key}: " in str(caught.value) and message in str(caught.value)
    assert str(caught.value).startswith(str(config))
    assert re.match(rf"{re.escape(str(config))}:\d+: ", str(caught.value)), "with its line"


def test_links_reach_the_reader_without_tracking_parameters(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    tracked = "https://news.example/story?id=7&utm_source=wire&fbclid=AbC123"
    feed = (
        '<rss version="2.0"><channel><title>t</title><item>'
        "<title>Union leader jailed after strike</title>"
        f"<link>{tracked.replace('&', '&amp;')}</link><guid>g1</guid>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate></item></channel></rss>"
    ).encode()
    url = feed_server.add("/feed.xml", feed)
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<opml version="2.0"><body><outline xmlUrl="{url}"/></body></opml>', "utf-8")
    with open_digest(load_config(write_config(tmp_path, opml))) as digest:
        digest.update()
        result = digest.build()
        [stored] = digest.store.items.all()
    assert stored.url == tracked, "the store keeps the link as the feed gave it"
    for name in ("email.html", "email.txt", "index.html", "edition.json"):
        written = (Path(result.folder) / name).read_text("utf-8")
        assert "https://news.example/story?id=7" in written, name
        assert "utm_source" not in written and "fbclid" not in written, name
