"""The watchlist: names found however they are spelt, counted, remembered."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digest import load_config, open_digest
from digest.bundled import load_taxonomy
from digest.classify import Classifier
from digest.errors import ConfigError
from digest.watch import WatchlistMatcher, parse_watchlist

from .conftest import ROOT, SAMPLE_OPML, write_config

TAXONOMY = load_taxonomy(None)
TOPICS = [topic.id for topic in TAXONOMY.topics]
ONE_NAME = '[[watched]]\nid = "kem-sokha"\nname = "Kem Sokha"\ntopic = "political-prisoners"\n'


def matcher(text: str = ONE_NAME) -> WatchlistMatcher:
    return WatchlistMatcher(parse_watchlist(text, "watchlist.toml", TOPICS))


def test_a_misspelt_name_is_still_recognised() -> None:
    [mention] = matcher().mentions("Diplomats call for the release of Kern Sokha", "")
    assert mention.watched.name == "Kem Sokha" and mention.text == "kern sokha"
    assert not mention.exact, "the editor can see it was a near match"


def test_accents_case_and_other_scripts() -> None:
    sample = matcher((ROOT / "watchlist.example.toml").read_text("utf-8"))
    assert [m.watched.id for m in sample.mentions("", "L'AVOCATE THÉARY SENG reste détenue")] == [
        "theary-seng"
    ]
    khmer = sample.mentions("តុលាការបដិសេធការដោះលែងលោកកឹមសុខា", "")
    assert [m.watched.id for m in khmer] == ["kem-sokha"], "Khmer matches without spaces"


def test_unrelated_names_and_short_words_do_not_match() -> None:
    names = matcher(ONE_NAME + '\n[[watched]]\nid = "chan-vibol"\nname = "Chan Vibol"\n')
    assert names.mentions("Chan Vichet opens a new bakery", "") == ()
    assert names.mentions("Kem and Sokha went to the market", "") == ()


def test_a_watched_name_counts_towards_its_topic() -> None:
    title, summary = "Kem Sokha's daughter speaks to reporters", "She asked for his release."
    plain = Classifier(TAXONOMY).classify(title, summary)
    names = matcher()
    boosted = Classifier(TAXONOMY).classify(
        title, summary, extra=names.evidence(names.mentions(title, summary))
    )
    assert plain.primary != "political-prisoners"
    assert boosted.primary == "political-prisoners"
    assert ("political-prisoners", "Kem Sokha (watchlist)") in [
        (e.topic, e.term) for e in boosted.evidence
    ]


def test_a_watched_case_coming_back_says_when_it_was_last_reported(tmp_path: Path) -> None:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(ONE_NAME, "utf-8")
    config = write_config(tmp_path, SAMPLE_OPML)
    text = config.read_text("utf-8").replace(
        "[paths]\n", '[paths]\nwatchlist = "watchlist.toml"\n'
    )
    config.write_text(text, "utf-8")
    with open_digest(load_config(config)) as digest:
        digest.update()
        first = digest.build()
        assert first.edition.items, "the sample names Kern Sokha"
        later = first.edition.created + timedelta(days=7)
        digest._now = lambda: later  # type: ignore[method-assign]
        digest.add_link(
            "http://127.0.0.1:9/appeal",
            title="Lawyers for Kem Sokha file a new appeal",
            topic="judicial-harassment",
        )
        second = digest.build()
    [entry] = [e for e in second.edition.items if e.item.title.startswith("Lawyers for Kem")]
    assert entry.watched == ("Kem Sokha",)
    assert entry.previously is not None
    when = f"{first.edition.created.day} {first.edition.created:%b %Y}"
    assert f"Previously reported on {when}" in second.rendered.text
    assert f"Previously reported on {when}" in second.rendered.html


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('[[watched]]\nid = "x"\nname = "X"\ntopic = "football"\n', 4, "watched.topic"),
        ('[[watched]]\nid = "x"\n', 1, "watched.name"),
        (ONE_NAME + ONE_NAME, 6, "watched.id"),
        ("fuzzy = 20\n", 1, "fuzzy"),
    ],
)
def test_a_broken_watchlist_names_file_line_and_key(text: str, line: int, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "watchlist.toml", TOPICS)
    assert str(caught.value).startswith(f"watchlist.toml:{line}: {key}: ")
