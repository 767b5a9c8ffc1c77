"""The shortcuts parsing and story grouping take for the common case, held
to the plain way they replace on text built to hit every edge: the shortcut
must never change what is stored.

Each reference below is the code as it was before its shortcut (or the
standard library call it stands in for).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from digest.cluster import counted_terms, decode_terms, term_counts
from digest.concepts import KHMER_RUN, STOPWORDS, SUMMARY_WORDS
from digest.concepts import WORD as CONCEPT_WORD
from digest.parse import _joined, without_boilerplate
from digest.sanitize import html_to_line, tidy_text
from digest.text import _ENGLISH_WORDS, _FRENCH_WORDS, WORD, detect_language, normalise, stem
from digest.urls import canonical_url, is_tracking

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_CONTROLS = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def plain_tidy(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = text.translate(_CONTROLS)
    if "\n" not in text:
        return _SPACES.sub(" ", text).strip()
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def test_tidying_text_gives_what_it_gave_before_its_shortcuts() -> None:
    rng = random.Random(1)
    pieces = [*"ab c\t\r\n\x01\x0b\x0c\x1c\x7f\u00a0\u2003é", "e\u0301", "  ", "\u200b"]
    for _ in range(20_000):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 12)))
        assert tidy_text(text) == plain_tidy(text), repr(text)
        assert html_to_line(text) == " ".join(plain_tidy(text).split()), repr(text)


def plain_detect(text: str) -> str | None:
    """detect_language's counting as it was: every sample normalised."""
    words = WORD.findall(normalise(text[:300]))
    french = len([word for word in words if word in _FRENCH_WORDS])
    english = len([word for word in words if word in _ENGLISH_WORDS])
    if french == english:
        return None
    return "fr" if french > english else "en"


def test_telling_french_from_english_counts_the_same_words_without_normalising_ascii() -> None:
    # One lookup a word gives each word one language: a word of both would
    # count for English alone.
    assert not _FRENCH_WORDS & _ENGLISH_WORDS
    rng = random.Random(2)
    words = "le la qu'il l'arrestation d'un c'est The LES said don't a_b _ 9 - , ' est il".split()
    for _ in range(20_000):
        text = " ".join(rng.choices(words, k=rng.randint(0, 40)))
        assert detect_language(text) == plain_detect(text), text


def plain_terms(text: str) -> list[str]:
    text = normalise(text)
    terms = [
        stem(word)
        for word in CONCEPT_WORD.findall(text)
        if len(word) > 1 and word not in STOPWORDS
    ]
    if not text.isascii():
        for run in KHMER_RUN.findall(text):
            terms.extend(run[i : i + 3] for i in range(len(run) - 2))
    return terms


def test_stored_terms_are_the_terms_counted_the_plain_way() -> None:
    rng = random.Random(3)
    words = [
        "the", "a", "Arrested", "arrests", "l'arrestation", "qu'il", "x", "_", "a_b", "9",
        "élection", "ÉLECTIONS", "ប្រឆាំង", "អ្នក", "-", ",", "don't", "CNRP's", "ﬁne", "x2y",
    ]  # fmt: skip
    for _ in range(5_000):
        title = " ".join(rng.choices(words, k=rng.randint(0, 10)))
        summary = " ".join(rng.choices(words, k=rng.randint(0, 80)))
        start = " ".join(summary.split()[:SUMMARY_WORDS])
        expected = Counter(plain_terms(title) * 2 + plain_terms(start))
        assert term_counts(title, summary) == expected, (title, summary)
        assert decode_terms(counted_terms(title, summary)) == expected, (title, summary)


def test_links_taken_as_they_are_are_the_ones_urljoin_gives_back_unchanged() -> None:
    base = "https://outlet.example/feed/rss.xml"
    links = [
        "https://outlet.example/2026/11/story", "http://other.example/a?b=1#c",
        "https://a.example", "https://a.example/b?", "https://a.example/b#", "HTTPS://a.example/",
        "https://a.example/x;y", "https://a.example/a/../b", "https://a.example/./b",
        "https://a.example/ b", "https://a.example/\tb", " https://a.example/", "/relative/path",
        "relative", "?page=2", "#top", "//cdn.example/x", "https:///x", "https://a.example:8080/x",
        "https://user@a.example/x", "https://[::1]/x", "javascript:alert(1)", "https://a.é/x",
    ]  # fmt: skip
    for link in links:
        assert _joined(base, link) == urljoin(base, link), link


def test_summaries_without_a_closing_line_are_left_as_they_are() -> None:
    kept = ["A plain summary.", "Already spread: a thread.", "Line one\nLine two"]
    for summary in kept:
        assert without_boilerplate(summary) == summary
    assert without_boilerplate("Arrested.\nContinue reading...") == "Arrested."
    assert without_boilerplate("Arrested.\nREAD MORE »") == "Arrested."
    assert without_boilerplate("Cut off here [\u2026]") == "Cut off here\u2026"
    # A regular expression that ignores case takes the long s for an s.
    assert without_boilerplate("Arrested.\nEn \u017favoir plus") == "Arrested."


def test_links_already_canonical_are_the_ones_taking_apart_gives_back() -> None:
    links = [
        "https://outlet.example/2026/11/story", "http://a.example/", "https://a.example",
        "https://A.example/x", "HTTPS://a.example/x", "https://a.example:443/x",
        "https://a.example:8080/x", "https://a.example/x?utm_source=feed", "https://a.example/x#top",
        "https://a.example/x?", "https://a.example/ x", " https://a.example/x", "https://a.example/x\t",
        "https://a.example/%7Euser/;params", "https://user@a.example/x", "https://a.example./x",
        "https://xn--80ak6aa92e.example/x", "https://a_b.example/x",
    ]  # fmt: skip
    for link in links:
        assert canonical_url(link) == plain_canonical(link), link


def plain_canonical(url: str) -> str:
    """canonical_url as it was, taking every link apart."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and {"http": 80, "https": 443}.get(scheme) != parts.port:
        host = f"{host}:{parts.port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)
    ]
    path = parts.path or ("/" if host else "")
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))
