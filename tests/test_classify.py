"""Filing items under topics, with the evidence an editor can check."""

from __future__ import annotations

from importlib import resources

import pytest

from digest.classify import Classifier
from digest.errors import ConfigError
from digest.taxonomy import parse_taxonomy
from digest.text import detect_language, normalise

TAXONOMY = parse_taxonomy(
    resources.files("digest").joinpath("taxonomy.toml").read_text("utf-8"), "taxonomy.toml"
)
CLASSIFIER = Classifier(TAXONOMY)

REQUIRED_TOPICS = {
    "political-prisoners", "judicial-harassment", "opposition-crackdown", "press-freedom",
    "civil-society", "labour-rights", "land-environment", "violence-torture",
    "protest-assembly", "transnational-repression", "elections",
    "propaganda-disinformation", "international-response",
}  # fmt: skip


def test_bundled_taxonomy_has_the_thirteen_topics() -> None:
    assert {topic.id for topic in TAXONOMY.topics} == REQUIRED_TOPICS
    for topic in TAXONOMY.topics:
        assert {p.lang for p in topic.phrases} >= {"en", "fr", "km"}, topic.id


@pytest.mark.parametrize(
    ("title", "summary", "primary"),
    [
        ("Opposition activist jailed for a Facebook post", "", "political-prisoners"),
        ("Un syndicaliste emprisonné après la grève", "", "labour-rights"),
        (
            "Un militant arrêté à Phnom Penh",
            "Il a été placé en détention provisoire pour un message sur Facebook.",
            "political-prisoners",
        ),
        ("សកម្មជនត្រូវបានចាប់ខ្លួន ហើយជាប់ពន្ធនាគារ", "", "political-prisoners"),
        (
            "Newspaper closed after reporting on logging",
            "The journalist was questioned.",
            "press-freedom",
        ),
        ("Thailand extradites exiled critic", "", "transnational-repression"),
    ],
)
def test_stories_are_filed_where_an_editor_would(title: str, summary: str, primary: str) -> None:
    assert CLASSIFIER.classify(title, summary).primary == primary


def test_a_football_score_is_off_topic() -> None:
    result = CLASSIFIER.classify("Crown FC beat Visakha 3-1 to win the league", "A late goal.")
    assert result.primary is None and result.topics == ()


def test_evidence_names_the_words_that_matched_and_where() -> None:
    result = CLASSIFIER.classify("Union leader jailed", "She was sentenced for incitement.")
    terms = {(e.term, e.field) for e in result.evidence}
    assert ("union leader", "title") in terms
    assert ("jailed", "title") in terms
    assert ("incitement", "summary") in terms
    assert 0.5 <= result.confidence < 1


def test_word_forms_accents_and_elisions_match() -> None:
    assert normalise("L’arrestation à Phnom Penh").split() == ["arrestation", "a", "phnom", "penh"]
    forms = [
        CLASSIFIER.classify(f"Activists {verb} at rally", "") for verb in ("arrested", "arrest")
    ]
    assert forms[0].scores == forms[1].scores


def test_two_spellings_of_one_word_count_once() -> None:
    result = CLASSIFIER.classify("Elections, election", "")
    assert [e.term for e in result.evidence if e.topic == "elections"] in (
        ["election"],
        ["elections"],
    )


def test_a_broken_taxonomy_names_file_line_and_key() -> None:
    text = '[[topics]]\nid = "x"\nlabel = "X"\ndefinition = "d"\n[topics.en]\n"jailed" = "lots"\n'
    with pytest.raises(ConfigError) as caught:
        parse_taxonomy(text, "mine.toml")
    assert str(caught.value).startswith("mine.toml:6: topics[0].jailed: weight of 'jailed'")


def test_negative_phrases_must_weigh_below_zero() -> None:
    text = '[[topics]]\nid = "x"\nlabel = "X"\ndefinition = "d"\n[topics.negative]\n"war" = 1\n'
    with pytest.raises(ConfigError, match="must be below 0"):
        parse_taxonomy(text, "mine.toml")


@pytest.mark.parametrize(
    "title",
    [
        "Opposition activist was not jailed, police say",
        "Le militant n'a pas été emprisonné",
        "សកម្មជនមិនត្រូវបានជាប់ពន្ធនាគារទេ",
    ],
)
def test_a_denied_phrase_is_not_evidence(title: str) -> None:
    terms = {e.term for e in CLASSIFIER.classify(title, "").evidence}
    assert not terms & {"jailed", "emprisonne", "ជាប់ពន្ធនាគារ"}
    affirmed = title.replace(" not", "").replace(" pas", "").replace("មិន", "")
    affirmed_terms = {e.term for e in CLASSIFIER.classify(affirmed, "").evidence}
    assert affirmed_terms & {"jailed", "emprisonne", "ជាប់ពន្ធនាគារ"}


def test_a_shorter_phrase_inside_a_longer_one_does_not_count_again() -> None:
    result = CLASSIFIER.classify("សកម្មជនជាប់ពន្ធនាគារ", "")
    terms = [e.term for e in result.evidence if e.topic == "political-prisoners"]
    assert "ជាប់ពន្ធនាគារ" in terms and "ពន្ធនាគារ" not in terms
    english = CLASSIFIER.classify("Opposition leader's party dissolved", "")
    opposition = [e.term for e in english.evidence if e.topic == "opposition-crackdown"]
    assert "opposition leader" in opposition and "opposition" not in opposition


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Union leader jailed after the strike at a garment factory", "en"),
        ("Un syndicaliste emprisonné après la grève dans une usine", "fr"),
        ("សកម្មជនត្រូវបានចាប់ខ្លួន", "km"),
        ("Путин подписал закон", None),  # another script: no guess
        ("Hun Sen", None),  # too little to tell
    ],
)
def test_the_language_is_told_from_the_text(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


def _longest_words_first(text: str) -> list[str]:
    """A toy Khmer segmenter for the test: greedy longest match over a few words."""
    vocabulary = sorted(["ក្រសួង", "វាយតម្លៃ", "វាយ", "ដំ", "ស្រូវ", "ប៉ូលិស"], key=len, reverse=True)
    words, rest = [], text
    while rest:
        word = next((w for w in vocabulary if rest.startswith(w)), rest[0])
        words.append(word)
        rest = rest[len(word) :]
    return words


def test_with_a_segmenter_khmer_phrases_match_whole_words_only() -> None:
    assessing = "ក្រសួងវាយតម្លៃស្រូវ"  # "the ministry assesses rice": no beating in it
    by_word = Classifier(TAXONOMY, segmenter=_longest_words_first)
    assert "វាយ" not in {e.term for e in by_word.classify(assessing, "").evidence}
    assert by_word.classify(assessing, "").primary is None
    beating = by_word.classify("ប៉ូលិសវាយដំសកម្មជន", "")  # "police beat an activist"
    assert "វាយដំ" in {e.term for e in beating.evidence}
