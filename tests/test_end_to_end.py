"""`digest run` over the bundled sample feeds, checked the way a reader would."""

from __future__ import annotations

import email
import email.policy
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest import load_config, open_digest

from .conftest import ROOT, run_digest

EXPECTATIONS = json.loads((ROOT / "tests/data/sample_expectations.json").read_text("utf-8"))
ON_TOPIC = [e for e in EXPECTATIONS["items"] if e.get("primary_in")]
OFF_TOPIC = [e for e in EXPECTATIONS["items"] if "primary_in" in e and not e["primary_in"]]
DUPLICATES = [e for e in EXPECTATIONS["items"] if "same_as" in e]
# Reports shown as "also reported by" under another outlet's bullet.
ALSO_REPORTED = {
    e["url"]: e["also_reported_under"] for e in ON_TOPIC if "also_reported_under" in e
}


class SectionedLinks(HTMLParser):
    """Every link in the email with the section heading (<h2>) it sits under."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str | None, str, str]] = []  # (heading, href, text)
        self._heading: str | None = None
        self._in_h2 = False
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._in_h2, self._heading = True, ""
        elif tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False
        elif tag == "a" and self._href is not None:
            self.links.append((self._heading, self._href, "".join(self._text).strip()))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self._heading = (self._heading or "") + data
        if self._href is not None:
            self._text.append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from .conftest import SAMPLE_OPML, write_config

    folder = tmp_path_factory.mktemp("e2e")
    config = write_config(folder, SAMPLE_OPML)
    # As in digest.example.toml: the general outlet's stories from elsewhere stay out.
    text = config.read_text("utf-8").replace(
        "max_age_days = 0\n", 'max_age_days = 0\nfocus = ["cambodia"]\n'
    )
    config.write_text(text, "utf-8")
    result = run_digest(config)
    assert result.returncode == 0, result.stderr
    html_path = Path(result.stdout.strip().splitlines()[-1])
    return {"config": config, "result": result, "html_path": html_path}


def test_run_prints_the_path_of_the_email_to_open(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    assert html_path.name == "email.html" and html_path.is_file()
    for name in ("email.txt", "email.eml", "edition.json"):
        assert (html_path.parent / name).is_file()
    assert (html_path.parent.parent / "index.html").is_file()


def test_every_on_topic_item_appears_once_under_its_topic(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    parser = SectionedLinks()
    parser.feed(html_path.read_text("utf-8"))
    labels = _topic_labels(built["config"])
    lead = json.loads((html_path.parent / "edition.json").read_text("utf-8"))["lead"]
    headings = {href: heading for heading, href, _ in parser.links}
    assert ALSO_REPORTED, "the sample must hold one event reported by two outlets"
    for expected in ON_TOPIC:
        placed = [
            (heading, text) for heading, href, text in parser.links if href == expected["url"]
        ]
        assert len(placed) == 1, f"{expected['title']!r} appears {len(placed)} times"
        heading, text = placed[0]
        if expected["url"] in ALSO_REPORTED:
            # Linked by outlet name, in the bullet of the report it joins.
            assert heading == headings[ALSO_REPORTED[expected["url"]]]
            continue
        assert text == expected["title"]
        if heading == "Top story":  # the lead: above the sections, its topic in edition.json
            assert lead is not None and lead["url"] == expected["url"]
            assert lead["primary"] in expected["primary_in"]
            continue
        wanted = {labels[topic] for topic in expected["primary_in"]}
        assert heading in wanted, f"{expected['title']!r} filed under {heading!r}, not {wanted}"


def test_off_topic_items_stay_out(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    html = html_path.read_text("utf-8")
    text = (html_path.parent / "email.txt").read_text("utf-8")
    assert OFF_TOPIC, "the sample must hold off-topic items"
    for expected in OFF_TOPIC:
        assert expected["url"] not in html and expected["url"] not in text


def test_intro_and_closing_frame_the_items(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    text = (html_path.parent / "email.txt").read_text("utf-8")
    assert text.index("Hello,") < text.index("What happened this week.")
    first_link = text.index("https://")
    assert text.index("What happened this week.") < first_link
    assert text.rindex("https://") < text.index("Ask us anything.")
    assert "Dara, press officer" in text


def test_text_part_carries_the_same_links(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    parser = SectionedLinks()
    parser.feed(html_path.read_text("utf-8"))
    html_links = [href for _, href, _ in parser.links if href and href.startswith("http")]
    text = (html_path.parent / "email.txt").read_text("utf-8")
    text_links = re.findall(r"https?://\S+", text)
    assert text_links == html_links
    assert len(text_links) == len(ON_TOPIC)


def test_eml_is_multipart_alternative_with_both_parts(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    raw = (html_path.parent / "email.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert message[header], header
    parts = {part.get_content_type(): part for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert parts["text/plain"].get_content_charset() == "utf-8"
    assert parts["text/plain"].get_content() == (html_path.parent / "email.txt").read_text("utf-8")
    assert parts["text/html"].get_content() == html_path.read_text("utf-8")


def test_rerunning_adds_nothing_and_rebuilds_the_same_edition(built: dict[str, object]) -> None:
    config = built["config"]
    assert isinstance(config, Path)
    with open_digest(load_config(config)) as digest:
        before = digest.store.items.count_items()
    again = run_digest(config)
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stderr
    assert again.stdout.strip() == str(built["html_path"])
    with open_digest(load_config(config)) as digest:
        assert digest.store.items.count_items() == before
        assert len(digest.store.editions.all()) == 1


def test_a_link_in_two_feeds_is_stored_once(built: dict[str, object]) -> None:
    config = built["config"]
    assert isinstance(config, Path)
    unique_items = len(EXPECTATIONS["items"]) - len(DUPLICATES)
    assert DUPLICATES, "the sample must hold a link repeated across feeds"
    with open_digest(load_config(config)) as digest:
        assert digest.store.items.count_items() == unique_items


def test_edition_json_explains_each_item(built: dict[str, object]) -> None:
    html_path = built["html_path"]
    assert isinstance(html_path, Path)
    data = json.loads((html_path.parent / "edition.json").read_text("utf-8"))
    items = [item for section in data["sections"] for item in section["items"]]
    if data["lead"]:
        items.append(data["lead"])
    assert len(items) == len(ON_TOPIC) - len(ALSO_REPORTED)
    also = {other["url"]: item["url"] for item in items for other in item["also_reported_by"]}
    assert also == ALSO_REPORTED
    for item in items:
        assert item["primary"] in item["topics"]
        assert any(ev["topic"] == item["primary"] for ev in item["evidence"]), item["title"]
    assert {item["url"] for item in data["off_topic"]} == {e["url"] for e in OFF_TOPIC}


def _topic_labels(config: object) -> dict[str, str]:
    assert isinstance(config, Path)
    with open_digest(load_config(config)) as digest:
        return {topic.id: topic.label for topic in digest.taxonomy.topics}


def test_saving_a_headline_leaves_the_summary_and_the_approval_alone(tmp_path: Path) -> None:
    """The preview's form sends headline and summary together, the summary as
    the email shows it (cut to length): only what the editor changed is an
    edit, and an unchanged form withdraws no approval."""
    from .conftest import SAMPLE_OPML, write_config

    config = write_config(tmp_path, SAMPLE_OPML)
    text = config.read_text("utf-8").replace("[digest]\n", "[digest]\nsummary_chars = 60\n")
    config.write_text(text, "utf-8")
    with open_digest(load_config(config)) as digest:
        digest.update()
        entry = digest.plan().items[0]
        stored = next(i for i in digest.store.items.all() if i.id == entry.item.id)
        assert len(entry.item.summary) < len(stored.summary), "shown cut to length"
        digest.approve()
        shown = {"title": entry.item.title, "summary": entry.item.summary}
        assert not digest.edit_item(entry.item.id, **shown)
        assert digest.approval() is not None, "nothing changed, nothing withdrawn"
        assert digest.edit_item(
            entry.item.id, title="A headline of our own", summary=shown["summary"]
        )
        [after] = [e for e in digest.plan().items if e.item.id == entry.item.id]
        assert after.item.title == "A headline of our own"
        assert after.item.summary == shown["summary"]
        assert digest.store.edits.item_edits()[entry.item.id].summary is None
        assert digest.approval() is None, "a real change withdraws it"
