"""Text as the phrase matchers see it, and the language it is written in.

Pure. `normalise` case-folds, drops Latin accents and zero-width marks and
splits French elisions ("l'arrestation" → "arrestation"); `stem` is a light
suffix stemmer for English and French word forms; `detect_language` tells
Khmer, French and English apart for text whose language nobody declared.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from itertools import repeat

LANGUAGES = ("en", "fr", "km")
WORD = re.compile(r"\w+")
_ELISION = re.compile(r"\b(?:qu|[cdjlmnst])'(?=\w)")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})
# Zero-width characters Khmer text uses as invisible word breaks.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"))
# Khmer spellings that look alike and are written either way: subscript da
# and subscript ta (ផ្ដន្ទា, ផ្តន្ទា), and the two forms of "to, for" (ឲ្យ, ឱ្យ).
_KHMER_VARIANTS = (("\u17d2\u178a", "\u17d2\u178f"), ("\u17b2", "\u17b1"))
_SUFFIXES = (
    "ements", "ement", "ations", "ation", "ings", "ing", "ies", "ied",
    "ees", "ee", "es", "ed", "s", "e",
)  # fmt: skip
_MIN_STEM = 4


_KHMER_LETTER = re.compile("[\u1780-\u17ff]")


def _is_khmer_letter(char: str) -> bool:
    return "\u1780" <= char <= "\u17ff"


def is_khmer(text: str) -> bool:
    return _KHMER_LETTER.search(text) is not None


# Short words that are common in one language and rare in the other; enough
# to tell a French headline from an English one without a model.
_FRENCH_WORDS = frozenset(
    "le la les des du au aux une et est sont dans pour par sur avec contre selon apres "
    "qui que ont ete son ses leur deux trois un il elle ce cette pas de ne aucune".split()
)
_ENGLISH_WORDS = frozenset(
    "the a an of and is are was were in on for by with against after who that has have "
    "been his her their two three to as at from than this last any more says said".split()
)

# Each telling word, +1 for French and -1 for English; for ASCII text, as the
# bytes `ascii_words` gives. One lookup a word, where a count per language
# read every word twice (the language check is a fifth of a feed's parse).
_LEANING = dict.fromkeys(_FRENCH_WORDS, 1) | dict.fromkeys(_ENGLISH_WORDS, -1)
_LEANING_BYTES = {word.encode(): leaning for word, leaning in _LEANING.items()}
# Every byte but an ASCII word character ([A-Za-z0-9_]) becomes a space.
_ASCII_NON_WORD = bytes(
    code if chr(code).isascii() and (chr(code).isalnum() or code == ord("_")) else ord(" ")
    for code in range(256)
)

DETECT_SAMPLE = 300


def detect_language(text: str) -> str | None:
    """'km', 'fr' or 'en' for text whose language nobody declared, else None.

    Khmer is told by its script; French from English by counting each
    language's commonest short words. Text in another script, or too short
    to tell, gives None rather than a guess.
    """
    sample = text[:DETECT_SAMPLE]  # a headline and a sentence or two tell enough
    if not sample.isascii():  # ASCII is neither Khmer nor another script
        letters = [char for char in sample if char.isalpha()]
        khmer = sum(map(_is_khmer_letter, letters))
        if letters and khmer >= len(letters) / 3:
            return "km"
        latin = sum(char.isascii() or "\u00c0" <= char <= "\u017f" for char in letters)
        if latin < len(letters) / 2:
            return None  # another script: neither of our Latin-script languages
    if sample.isascii():
        # Lower case is enough: what normalise adds, splitting "l'" and "qu'"
        # from a word, leaves words counted in neither language.
        leaning = sum(map(_LEANING_BYTES.get, ascii_words(sample.lower()), repeat(0)))
    else:
        leaning = sum(map(_LEANING.get, WORD.findall(normalise(sample)), repeat(0)))
    if leaning == 0:
        return None
    return "fr" if leaning > 0 else "en"


def ascii_words(text: str) -> list[bytes]:
    """WORD's words of ASCII text, as bytes: the text split at every byte
    that is no word character, in a fifth of the regular expression's time."""
    return text.encode().translate(_ASCII_NON_WORD).split()


def normalise(text: str) -> str:
    """Case-fold, drop Latin accents and zero-width marks, split French elisions."""
    if text.isascii():  # most English text: nothing to decompose, a tenth of the time
        text = text.lower()
        return _ELISION.sub(" ", text) if "'" in text else text
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFD", text.casefold())
    kept: list[str] = []
    base = ""
    for char in decomposed:
        # Khmer vowel signs are combining marks too; only Latin accents go.
        if unicodedata.combining(char) and base and base < "\u0250":
            continue
        if not unicodedata.combining(char):
            base = char
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept))
    for variant, chosen in _KHMER_VARIANTS:
        text = text.replace(variant, chosen)
    return _ELISION.sub(" ", text)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in WORD.findall(text))
