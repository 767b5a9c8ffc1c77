"""The phrase matcher against the plainest matcher we could write.

`phrases.PhraseIndex` reads a text once (a trie of stems, a cache of the
words it has stemmed). The reference below tries, at every word, every phrase
that starts with it, one by one, and keeps the same three rules (negation, a phrase
inside a longer one of its tag, a word used in another sense). On every text
we have labelled, both must find the same matches.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pytest

from digest import phrases
from digest.classify import _SENTENCE_END, Classifier
from digest.concepts import STOPWORDS
from digest.focus import FocusMatcher, parse_focus
from digest.phrases import Match, PhraseIndex
from digest.taxonomy import parse_taxonomy
from digest.text import WORD, is_khmer, normalise, stem, stems
from digest.types import Phrase

from .realfeeds import REAL_FEEDS, read_entries

ROOT = Path(__file__).resolve().parent.parent


class ReferenceMatcher:
    def __init__(self, entries: Iterable[tuple[str, Phrase]], mask: str | None) -> None:
        self.mask = mask
        vocabulary: dict[tuple[str, tuple[str, ...]], Phrase] = {}
        self.khmer: list[tuple[str, Phrase, str]] = []
        for tag, phrase in entries:
            needle = normalise(phrase.text)
            if is_khmer(needle):
                self.khmer.append((tag, phrase, needle.replace(" ", "")))
            elif words := stems(needle):
                known = vocabulary.get((tag, words))
                if known is None or abs(phrase.weight) > abs(known.weight):
                    vocabulary[(tag, words)] = phrase
        self.by_first: dict[str, list[tuple[str, tuple[str, ...], Phrase]]] = {}
        for (tag, pattern), phrase in vocabulary.items():
            self.by_first.setdefault(pattern[0], []).append((tag, pattern, phrase))

    def find(self, text: str) -> list[Match]:
        words = WORD.findall(text)
        word_stems = [stem(word) for word in words]
        found = []
        for index, first in enumerate(word_stems):
            before = words[max(0, index - phrases.NEGATION_WINDOW) : index]
            if any(word in phrases._NEGATIONS for word in before):
                continue
            for tag, pattern, phrase in self.by_first.get(first, []):
                if tuple(word_stems[index : index + len(pattern)]) == pattern:
                    found.append(Match(tag, phrase, index, index + len(pattern)))
        if is_khmer(text):
            squeezed, offset = text.replace(" ", ""), len(text) + 1
            for tag, phrase, needle in self.khmer:
                start = squeezed.find(needle)
                if start >= 0 and not phrases._khmer_negated(squeezed, start):
                    found.append(Match(tag, phrase, offset + start, offset + start + len(needle)))
        return [
            match
            for match in found
            if not any(
                _inside(match, other)
                and (
                    (other.tag == self.mask and match.tag != self.mask)
                    or (
                        other.tag == match.tag
                        and other.end - other.start > match.end - match.start
                    )
                )
                for other in found
            )
        ]


def _inside(inner: Match, outer: Match) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def labelled_texts() -> list[str]:
    """Titles and summaries of every labelled set, and the summaries'
    sentences, normalised as classify gives them to the matcher."""
    raw: list[str] = []
    for line in (ROOT / "bench/data/classify_eval.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        raw += [item["title"], item["summary"]]
    for item in json.loads((ROOT / "tests/data/lookalikes.json").read_text("utf-8"))["items"]:
        raw += [item["title"], item["summary"]]
    if REAL_FEEDS.is_dir():
        raw += [text for entry in read_entries() for text in (entry.title, entry.summary)]
    texts = []
    for text in map(normalise, raw):
        texts += [text, *(sentence for sentence in _SENTENCE_END.split(text) if sentence)]
    return texts


def taxonomy_entries() -> tuple[list[tuple[str, Phrase]], str]:
    taxonomy = parse_taxonomy(
        resources.files("digest").joinpath("taxonomy.toml").read_text("utf-8"), "taxonomy"
    )
    entries = [(topic.id, phrase) for topic in taxonomy.topics for phrase in topic.phrases]
    assert taxonomy.scope is not None
    entries += [(f"{p.kind}:{p.group}", p.phrase) for p in taxonomy.scope.phrases]
    return entries, "senses:senses"


def focus_entries() -> list[tuple[str, Phrase]]:
    regions = parse_focus(
        resources.files("digest").joinpath("focus.toml").read_text("utf-8"), "focus"
    )
    return [(region.name, place) for region in regions.values() for place in region.places]


def _sorted(matches: list[Match]) -> list[tuple[int, int, str, str]]:
    return sorted((m.start, m.end, m.tag, m.phrase.text) for m in matches)


@pytest.mark.parametrize("vocabulary", ["taxonomy", "focus"])
def test_the_one_pass_matcher_finds_what_trying_every_phrase_finds(vocabulary: str) -> None:
    if vocabulary == "taxonomy":
        entries, mask = taxonomy_entries()
    else:
        entries, mask = focus_entries(), ""
    index = PhraseIndex(entries, mask=mask or None)
    texts = labelled_texts()
    assert len(texts) > 1500
    reference = ReferenceMatcher(entries, mask or None)
    differ = [text for text in texts if _sorted(index.find(text)) != _sorted(reference.find(text))]
    assert differ == []


def test_the_classifier_matches_with_the_taxonomy_and_the_scope() -> None:
    # The reference above builds its tags as the classifier does: if the
    # classifier changed its tags, the comparison would test another vocabulary.
    entries, mask = taxonomy_entries()
    text = normalise(
        "The opposition leader was arrested; doctors said cardiac arrest was ruled out"
    )
    taxonomy = parse_taxonomy(
        resources.files("digest").joinpath("taxonomy.toml").read_text("utf-8"), "taxonomy"
    )
    assert _sorted(Classifier(taxonomy)._index.find(text)) == _sorted(
        ReferenceMatcher(entries, mask).find(text)
    )


def test_matching_stays_right_when_the_word_cache_starts_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(phrases, "_SURFACE_CACHE_SIZE", 5)
    entries = [("t", Phrase("opposition leader", 1.0, "en")), ("t", Phrase("arrested", 1.0, "en"))]
    index = PhraseIndex(entries)
    texts = [
        normalise(text)
        for text in (
            "Police arrested the opposition leader at dawn",
            "Many unrelated words arrive to fill the cache past its bound today",
            "The opposition leaders were not arrested",
            "Opposition leader arrests",
        )
    ] * 3
    reference = ReferenceMatcher(entries, None)
    for text in texts:
        assert _sorted(index.find(text)) == _sorted(reference.find(text))
    assert len(index._stem_of) <= 5 + len(WORD.findall(max(texts, key=len)))


def test_a_matcher_used_across_texts_gives_each_text_its_own_matches() -> None:
    focus = FocusMatcher(
        tuple(parse_focus('[kh]\nlabel = "Cambodia"\nen = ["Phnom Penh"]\n', "f").values())
    )
    assert focus.place("Protest in Phnom Penh", "") == "Phnom Penh"
    assert focus.place("Protest in Phnom", "Penh is far") is None
    assert focus.place("", "Rally near phnom penh's river") == "Phnom Penh"


def test_phrases_that_start_with_common_words_match_as_any_other() -> None:
    # "in custody" is looked for from "custody", looking back at "in": what
    # it finds must not change, with negations, masks and phrases inside
    # phrases around it.
    entries = [
        ("t", Phrase("in custody", 1.0, "en")),
        ("t", Phrase("custody", 1.0, "en")),
        ("u", Phrase("custody", 1.0, "en")),
        ("t", Phrase("from the ballot", 1.0, "en")),
        ("t", Phrase("the ballot", 1.0, "en")),
        ("t", Phrase("ballot", 1.0, "en")),
        ("t", Phrase("the press", 1.0, "en")),
        ("t", Phrase("press freedom", 1.0, "en")),
        ("t", Phrase("on trial", 1.0, "en")),
        ("mask", Phrase("custody battle", 1.0, "en")),
    ]
    index = PhraseIndex(entries, mask="mask")
    reference = ReferenceMatcher(entries, "mask")
    texts = [
        "not said in custody",
        "held in custody after the ballot",
        "removed from the ballot",
        "no one from the ballot box",
        "a custody battle in court",
        "the press freedom index",
        "in custody",
        "custody",
        "not in custody, never on trial",
        "put on trial in custody in custody battle",
    ]
    for text in map(normalise, texts):
        assert _sorted(index.find(text)) == _sorted(reference.find(text)), text
    # The denied "in custody" holds nothing: "custody", two words past the
    # "not", counts.
    found = index.find(normalise("not said in custody"))
    assert sorted((m.tag, m.phrase.text) for m in found) == [("t", "custody"), ("u", "custody")]


def test_the_matcher_agrees_with_the_reference_on_shuffled_phrases() -> None:
    # Texts made of the vocabulary's own phrases, common words and negations
    # in random order put phrases inside, across and after one another far
    # more often than news does.
    entries, mask = taxonomy_entries()
    pieces = sorted({normalise(phrase.text) for _, phrase in entries})
    pieces += "the in on a from of not no never pas sans".split() * 40
    rng = random.Random(18)
    texts = [" ".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(3000)]
    index = PhraseIndex(entries, mask=mask)
    reference = ReferenceMatcher(entries, mask)
    found = [index.find(text) for text in texts]
    differ = [
        text for text, matches in zip(texts, found, strict=True)
        if _sorted(matches) != _sorted(reference.find(text))
    ]  # fmt: skip
    assert differ == []
    # What it covered: phrases of several words, masks, and phrases keyed
    # on a later word than their first.
    spans = [match.end - match.start for matches in found for match in matches]
    assert sum(span > 1 for span in spans) > 1000
    assert sum(match.tag == mask for matches in found for match in matches) > 50
    led = 0
    for text, matches in zip(texts, found, strict=True):
        words = WORD.findall(text)
        led += sum(
            match.end - match.start > 1 and match.start < len(words)  # not Khmer
            and words[match.start] in STOPWORDS
            for match in matches
        )  # fmt: skip
    assert led > 100
