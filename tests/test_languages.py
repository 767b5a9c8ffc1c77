"""Editions in the reader's language: one set of stories written in English,
French and Khmer, each recipient sent theirs exactly once, the archive and
its Atom feed per language, linked to each other by hreflang.

Mail goes to the aiosmtpd server of tests/smtp.py on loopback; builds and
sends run as `digest` processes, as cron starts them.
"""

from __future__ import annotations

import email
import json
import os
import random
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from digest import load_config, open_digest
from digest.errors import ConfigError
from digest.select import localise
from digest.types import Section

from .conftest import SAMPLE_OPML, run_digest, write_config
from .editions import TEXT, THREE_LANGUAGES, big_edition, make_item
from .smtp import Mailbox, run_smtp_server
from .test_preview import PreviewServer
from .test_send import kill_send_midway, send, send_config

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Readers of each language, and two whose language is not written: "fr-CA"
# reads the French edition, "de" the default (English) one.
READERS = {
    **{f"en{n:02d}@example.org": "en" for n in range(20)},
    **{f"fr{n:02d}@example.org": "fr" for n in range(20)},
    **{f"km{n:02d}@example.org": "km" for n in range(20)},
    "quebec@example.org": "fr-CA",
    "berlin@example.org": "de",
}
EXPECTED = {
    address: {"fr-CA": "fr", "de": "en"}.get(lang, lang) for address, lang in READERS.items()
}


# -- the config ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "key", "says"),
    [
        (('intro = "Les faits', '# intro = "Les faits'), "editions.fr.intro",
         "needs its own intro"),
        (('languages = ["en", "fr", "km"]', 'languages = ["fr", "km"]'), "editions.languages",
         "must include the default language 'en'"),
        (('languages = ["en", "fr", "km"]', 'languages = ["en", "fr"]'), "editions.km",
         "not in [editions] languages"),
        (('digits = "khmer"', 'digits = "arabic"'), "editions.km.digits", "latin"),
    ],
)  # fmt: skip
def test_a_wrong_editions_table_names_the_file_line_and_key(
    tmp_path: Path, change: tuple[str, str], key: str, says: str
) -> None:
    path = write_config(tmp_path, SAMPLE_OPML, THREE_LANGUAGES.replace(*change))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    error = raised.value
    assert error.key == key and says in str(error)
    assert error.line is not None and str(path) in str(error)


def test_one_language_stays_as_simple_as_before(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SAMPLE_OPML))
    assert config.languages == ("en",)
    result = run_digest(config.path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "output" / "index.html").is_file()
    assert not (tmp_path / "output" / "en").exists()


# -- one set of stories, each language's report first -------------------------


def test_a_story_is_shown_by_its_report_in_the_editions_language() -> None:
    english, french, khmer = make_item(1, "en"), make_item(2, "fr"), make_item(3, "km")
    base = big_edition(6)
    first = base.sections[0]
    story = first.items[0].__class__(
        item=english, classification=first.items[0].classification, also=(french, khmer)
    )
    edition = base.__class__(
        **{
            **base.__dict__,
            "sections": (Section(first.topic, (story, *first.items[1:])), *base.sections[1:]),
        }
    )
    text = TEXT.__class__(**{**TEXT.__dict__, "lang": "fr", "title": "Revue"})
    french_edition = localise(edition, text, {first.topic.id: "Prisonniers"})
    shown = french_edition.sections[0].items[0]
    assert shown.item.id == french.id
    assert [other.id for other in shown.also] == [english.id, khmer.id]
    assert french_edition.sections[0].topic.label == "Prisonniers"
    assert french_edition.text.title == "Revue"
    # The editor's choices are the same: the same stories in the same order.
    assert [len(s.items) for s in french_edition.sections] == [
        len(s.items) for s in edition.sections
    ]
    assert french_edition.lead == edition.lead or french_edition.lead.item.lang == "fr"  # type: ignore[union-attr]


# -- the build: a folder per language, linked ---------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample edition built in three languages, with a public archive."""
    folder = tmp_path_factory.mktemp("languages-")
    extra = THREE_LANGUAGES + '\n[list]\narchive_url = "https://press-office.example/digest/"\n'
    config = write_config(folder, SAMPLE_OPML, extra)
    result = run_digest(config)
    assert result.returncode == 0, result.stderr
    html = Path(result.stdout.strip().splitlines()[-1])
    assert html.parent.parent.name == "en", "the default language has its own folder"
    return folder / "output", html.parent.name


def story_links(data: dict[str, object]) -> set[str]:
    entries = [data["lead"]] if data["lead"] else []
    entries += [e for s in data["sections"] for e in s["items"]]  # type: ignore[attr-defined]
    return {e["url"] for e in entries} | {o["url"] for e in entries for o in e["also_reported_by"]}


def test_each_language_is_built_from_the_same_stories(built: tuple[Path, str]) -> None:
    output, slug = built
    data = {
        lang: json.loads((output / lang / slug / "edition.json").read_text("utf-8"))
        for lang in ("en", "fr", "km")
    }
    assert story_links(data["en"]) == story_links(data["fr"]) == story_links(data["km"])
    assert len(story_links(data["en"])) > 20
    subjects = {lang: d["subject"] for lang, d in data.items()}
    assert subjects["fr"].startswith("Revue de presse") and subjects["km"].startswith("សង្ខេប")
    # A story reported in Khmer is shown by its Khmer report in the Khmer edition.
    km_lead_langs = {
        e["lang"] for s in data["km"]["sections"] for e in s["items"] if e["also_reported_by"]
    }
    assert "km" in km_lead_langs
    for lang in ("en", "fr", "km"):
        page = (output / lang / slug / "email.html").read_text("utf-8")
        assert re.search(rf'<html[^>]* lang="{lang}"', page)


def test_the_khmer_edition_writes_khmer_digits_and_months(built: tuple[Path, str]) -> None:
    output, slug = built
    text = (output / "km" / slug / "email.txt").read_text("utf-8")
    masthead = text.splitlines()[2]
    assert re.search(r"[០-៩]+ \S+ [០-៩]{4}", masthead), masthead  # day, month, year
    assert not re.search(r"[0-9]", masthead.split("·")[-1])


def test_web_versions_link_each_other_with_hreflang(built: tuple[Path, str]) -> None:
    output, slug = built
    page = output / "fr" / slug / "index.html"
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', page.read_text("utf-8")))
    assert set(links.values()) == {"en", "km"}
    for href in links:
        assert (page.parent / href).resolve().is_file(), href
    email = (output / "fr" / slug / "email.html").read_text("utf-8")
    assert f'href="https://press-office.example/digest/km/{slug}/" hreflang="km"' in email


def test_the_archive_and_its_atom_feed_exist_per_language(built: tuple[Path, str]) -> None:
    output, slug = built
    for lang in ("en", "fr", "km"):
        index = (output / lang / "index.html").read_text("utf-8")
        assert f'<html lang="{lang}">' in index and f'href="{slug}/index.html"' in index
        feed = ElementTree.parse(output / lang / "feed.xml").getroot()
        assert feed.get(XML_LANG) == lang
        [entry] = feed.findall(f"{ATOM}entry")
        links = {link.get("hreflang"): link.get("href") for link in entry.findall(f"{ATOM}link")}
        assert set(links) == {"en", "fr", "km"}
        assert links["km"] == f"https://press-office.example/digest/km/{slug}/index.html"
    assert "Revue de presse" in (output / "fr" / "index.html").read_text("utf-8")
    front = (output / "index.html").read_text("utf-8")
    assert f'href="en/{slug}/index.html"' in front and 'hreflang="fr"' in front


# -- sending: each reader once, in their language -----------------------------


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    yield from run_smtp_server(Mailbox())


@pytest.fixture
def config(tmp_path: Path, smtp: tuple[Mailbox, int]) -> Path:
    extra = THREE_LANGUAGES + '\n[list]\nunsubscribe_url = "https://press-office.example/u"\n'
    path = send_config(tmp_path, smtp[1], extra)
    with open_digest(load_config(path)) as digest:
        digest.update()
        for address, lang in READERS.items():
            digest.add_recipient(address, lang=lang)
    return path


SECRET = {"DIGEST_UNSUBSCRIBE_SECRET": "list-secret"}


def language_of(message: EmailMessage) -> str:
    html = message.get_body(("html",))
    assert html is not None
    found = re.search(r'<html[^>]* lang="(\w+)"', str(html.get_content()))
    assert found is not None
    return found.group(1)


def test_each_reader_gets_one_message_in_their_language(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    result = send(config, env=SECRET)
    assert result.returncode == 0, result.stderr
    assert "by language: 21 en, 21 fr, 20 km" in result.stderr
    got = {}
    for message in mailbox.messages():
        address = message["To"].addresses[0].addr_spec
        assert address not in got, f"{address} got two messages"
        got[address] = language_of(message)
        assert message["Content-Language"] == got[address]
        subject = str(message["Subject"]).strip()
        assert (
            subject.startswith(
                {"en": "Weekly", "fr": "Revue de presse", "km": "សង្ខេប"}.get(got[address], "")
            )
            or got[address] == "en"
        ), subject
        # Their own unsubscribe link, in the header and in the text part.
        unsubscribe = str(message["List-Unsubscribe"])
        assert f"address={address.replace('@', '%40')}" in unsubscribe
    assert got == EXPECTED
    with open_digest(load_config(config)) as digest:
        [slug] = digest.store.deliveries.sent_editions()
        assert {d.address: d.lang for d in digest.store.deliveries.of(slug)} == EXPECTED


def test_killed_mid_send_each_reader_still_gets_one_in_their_language(
    smtp: tuple[Mailbox, int], config: Path
) -> None:
    mailbox, _ = smtp
    kill_send_midway(config, mailbox, random.Random(os.getpid()).randint(5, 55), SECRET)
    assert 0 < len(mailbox.per_recipient()) < len(READERS), "killed part way through"
    again = send(config, env=SECRET)
    assert again.returncode == 0, again.stderr
    by_reader: dict[str, set[tuple[str, str]]] = {}
    for message in mailbox.messages():
        address = message["To"].addresses[0].addr_spec
        by_reader.setdefault(address, set()).add((message["Message-ID"], language_of(message)))
    # At most the one message in flight at the kill went twice, with the same
    # Message-ID and the same language: a mail client shows it once.
    assert {a: len(seen) for a, seen in by_reader.items()} == dict.fromkeys(READERS, 1)
    assert {a: next(iter(seen))[1] for a, seen in by_reader.items()} == EXPECTED
    assert sum(mailbox.digests_per_recipient().values()) - len(READERS) <= 1


def test_a_dry_run_writes_each_readers_message_in_their_language(config: Path) -> None:
    result = send(config, "--dry-run", env=SECRET)
    assert result.returncode == 0, result.stderr
    assert "by language: 21 in en, 21 in fr, 20 in km" in result.stderr
    outbox = next(config.parent.glob("output/en/*/outbox"))
    for address, lang in EXPECTED.items():
        raw = (outbox / f"{address}.eml").read_bytes()
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert language_of(message) == lang, address


# -- the preview: a switcher, words per language, one approval ---------------


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[PreviewServer]:
    path = write_config(tmp_path, SAMPLE_OPML, THREE_LANGUAGES)
    assert run_digest(path).returncode == 0
    with open_digest(load_config(path)) as digest:
        digest.add_recipient("reader@example.org", lang="km")
    server = PreviewServer(path, SECRET)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def post(server: PreviewServer, path: str, data: dict[str, str]) -> httpx.Response:
    page = httpx.get(server.url + "/").text
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return httpx.post(
        server.url + path, data={"csrf": token, **data}, headers={"Origin": server.url}
    )


def test_the_preview_switches_language_and_keeps_words_per_language(
    preview: PreviewServer,
) -> None:
    page = httpx.get(preview.url + "/?lang=fr&view=mobile").text
    assert 'src="/email.html?lang=fr"' in page and 'hreflang="km"' in page
    assert "Les faits de la semaine" in page  # the French words in the form
    french = httpx.get(preview.url + "/email.html?lang=fr").text
    assert '<html lang="fr"' in french or ' lang="fr"' in french
    khmer_text = httpx.get(preview.url + "/email.txt?lang=km").text
    assert "ជំរាបសួរ" in khmer_text
    english_before = httpx.get(preview.url + "/email.html?lang=en").text

    answer = post(preview, "/texts", {"lang": "fr", "intro": "Une semaine chargée."})
    assert answer.status_code == 303 and answer.headers["location"] == "/?lang=fr"
    assert "Une semaine chargée." in httpx.get(preview.url + "/email.html?lang=fr").text
    assert httpx.get(preview.url + "/email.html?lang=en").text == english_before
    assert "Une semaine chargée." not in httpx.get(preview.url + "/email.txt?lang=km").text


def test_approving_freezes_every_language_and_any_change_withdraws_it(
    preview: PreviewServer,
) -> None:
    assert post(preview, "/approve", {}).status_code == 303
    with open_digest(load_config(preview.config)) as digest:
        approved = digest.approval()
        assert approved is not None
        assert approved.languages == ("en", "fr", "km")
        assert (
            approved.in_language("km").html == httpx.get(preview.url + "/email.html?lang=km").text
        )
    post(preview, "/texts", {"lang": "km", "closing": "សូមអរគុណ។"})
    with open_digest(load_config(preview.config)) as digest:
        assert digest.approval() is None, "a Khmer edit withdraws the approval of every language"


def test_the_unsubscribe_page_speaks_the_readers_language(preview: PreviewServer) -> None:
    page = httpx.get(preview.url + "/unsubscribe?address=reader%40example.org&token=x").text
    assert '<html lang="km">' in page
    stranger = httpx.get(preview.url + "/unsubscribe?address=who%40example.org&token=x").text
    assert '<html lang="en">' in stranger
