"""File items under repression topics, and say why.

Pure. Two stages share one pass of phrase matching (`phrases.PhraseIndex`):

1. **Relevance** (`relevance.judge`, when the taxonomy has a [scope]): is
   the item about a repressive act against a civic or political target, or
   a response to one? Off-scope items are off-topic whatever their words.
2. **The section**: the first of the taxonomy's [[sections]] rules that the
   story's main event meets (its headline first, then the lede); the other
   rules it meets are its secondary topics. An item in scope that meets no
   rule is filed by its topic phrases' scores, as is every item of a
   taxonomy without a [scope].

The topics' phrases still give each topic a score and the evidence shown to
the editor; a phrase in the title counts 1.5 times. `extra` evidence (a
watched name) counts towards its topic and names a target.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .phrases import Match, PhraseIndex, Segmenter
from .relevance import Judgement, judge, tag, weight
from .text import normalise
from .types import Classification, Evidence, Field, Phrase, SectionRule, Taxonomy

TITLE_BOOST = 1.5
# Where a sentence ends in normalised text: Latin stops before a space, Khmer's khan.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[។៕]")


class Classifier:
    """A taxonomy compiled for matching; build once, classify many items.

    Khmer phrases match as substrings of the text with spaces removed. With a
    `segmenter` (a Khmer word splitter, such as khmer-nltk's word_tokenize)
    they match only on whole words instead; bench/khmer_matching.py measures
    both, and substrings are the default (see its numbers in the README).
    """

    def __init__(self, taxonomy: Taxonomy, segmenter: Segmenter | None = None) -> None:
        self.taxonomy = taxonomy
        entries = [(topic.id, phrase) for topic in taxonomy.topics for phrase in topic.phrases]
        if taxonomy.scope is not None:
            entries += [(tag(p.kind, p.group), p.phrase) for p in taxonomy.scope.phrases]
        self._index = PhraseIndex(entries, segmenter, mask=tag("senses", "senses"))
        self._labels = {topic.id: topic.label for topic in taxonomy.topics}
        self._rules = (
            [(rule, _needs(rule)) for rule in taxonomy.scope.sections] if taxonomy.scope else []
        )
        self._order = {topic.id: index for index, topic in enumerate(taxonomy.topics)}

    def classify(
        self,
        title: str,
        summary: str,
        lang: str | None = None,
        extra: Sequence[Evidence] = (),
    ) -> Classification:
        """Topics, primary topic, confidence, relevance and evidence for one item.

        `lang` is accepted for callers that know it; every language's phrases
        are tried, since feeds often mislabel or omit their language.
        """
        segments = [(_field("title"), self._index.find(normalise(title)))]
        segments += [
            (_field("summary"), self._index.find(sentence))
            for sentence in _SENTENCE_END.split(normalise(summary))
            if sentence
        ]
        evidence = self._topic_evidence(segments)
        scores = self._scores((*evidence, *extra))
        if self.taxonomy.scope is None:
            return self._by_scores(scores, (*evidence, *extra))
        scope_matches = [
            [m for m in found if m.tag not in self._order]
            + [_watched(e) for e in extra if e.field == field]
            for field, found in segments
        ]
        judgement = judge(scope_matches, self.taxonomy.scope)
        if not judgement.in_scope:
            return Classification(
                topics=(),
                primary=None,
                confidence=0.0,
                scores=scores,
                evidence=(*evidence, *extra),
                relevance=judgement.relevance,
                why=_why_out(judgement),
            )
        return self._file(judgement, scores, (*evidence, *extra))

    def _topic_evidence(self, segments: list[tuple[Field, list[Match]]]) -> list[Evidence]:
        found: dict[tuple[str, str], Evidence] = {}
        for field, matches in segments:
            for match in matches:
                key = (match.tag, match.phrase.text)
                if match.tag in self._order and key not in found:
                    found[key] = Evidence(match.tag, match.phrase.text, field, match.phrase.weight)
        return list(found.values())

    def _scores(self, evidence: Sequence[Evidence]) -> tuple[tuple[str, float], ...]:
        scores: dict[str, float] = {}
        for found in evidence:
            boost = TITLE_BOOST if found.field == "title" and found.weight > 0 else 1.0
            scores[found.topic] = scores.get(found.topic, 0.0) + found.weight * boost
        return tuple(sorted(scores.items(), key=lambda pair: -pair[1]))

    def _ranked(self, scores: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
        threshold = self.taxonomy.threshold
        return sorted(
            ((topic, score) for topic, score in scores if score >= threshold),
            key=lambda pair: (-pair[1], self._order[pair[0]]),
        )

    def _by_scores(
        self, scores: tuple[tuple[str, float], ...], evidence: Sequence[Evidence]
    ) -> Classification:
        """Filing by topic scores alone: a taxonomy without a [scope]."""
        ranked = self._ranked(scores)
        topics = tuple(topic for topic, _ in ranked)
        primary = topics[0] if topics else None
        best = ranked[0][1] if ranked else max((s for _, s in scores), default=0.0)
        return Classification(
            topics=topics,
            primary=primary,
            confidence=round(confidence(best, self.taxonomy.threshold), 3),
            scores=scores,
            evidence=tuple(e for e in evidence if e.topic in topics or primary is None),
            relevance=1.0 if primary else 0.0,
            why=f"Filed by its words under {self._labels[primary]}." if primary else "",
        )

    def _file(
        self,
        judgement: Judgement,
        scores: tuple[tuple[str, float], ...],
        evidence: Sequence[Evidence],
    ) -> Classification:
        """An item in scope: its section by the written precedence."""
        # The headline's groups are among the event's: a rule the headline
        # meets is one of those the event meets.
        applying = [(rule, needs) for rule, needs in self._rules if _meets(needs, judgement.event)]
        in_headline = (rule for rule, needs in applying if _meets(needs, judgement.headline))
        chosen = next(in_headline, applying[0][0] if applying else None)
        primary: str | None
        if chosen is not None:
            primary, reason = chosen.topic, chosen.rule
        else:
            ranked = self._ranked(scores) or list(scores)[:1]
            primary = ranked[0][0] if ranked else _core_topic(judgement, self._order)
            reason = "no rule of the precedence applies; filed by its words"
        if primary is None:  # in scope, yet nothing says where: the first section
            primary, reason = self.taxonomy.topics[0].id, "no rule or word says where"
        secondary = [rule.topic for rule, _ in applying if rule.topic != primary]
        topics = tuple(dict.fromkeys((primary, *secondary)))
        score = dict(scores).get(primary, 0.0)
        return Classification(
            topics=topics,
            primary=primary,
            confidence=round(max(confidence(score, self.taxonomy.threshold), 0.5), 3),
            scores=scores,
            evidence=tuple(e for e in evidence if e.topic in topics),
            relevance=judgement.relevance,
            why=f"{_why_in(judgement)}; {self._labels[primary]}: {reason}.",
        )


Needs = tuple[frozenset[tuple[str, str]], ...]


def _needs(rule: SectionRule) -> Needs:
    """A rule as sets of alternatives, one set per kind it names."""
    kinds = (
        ("acts", rule.acts),
        ("actors", rule.actors),
        ("targets", rule.targets),
        ("responses", rule.responses),
        ("core", rule.core),
    )
    return tuple(frozenset((kind, group) for group in groups) for kind, groups in kinds if groups)


def _meets(needs: Needs, found: frozenset[tuple[str, str]]) -> bool:
    if len(needs) == 1:  # most rules name one kind: no generator to run
        return not needs[0].isdisjoint(found)
    return all(not alternatives.isdisjoint(found) for alternatives in needs)


def _watched(evidence: Evidence) -> Match:
    """A watched person or organisation named: a political target."""
    return Match(tag("targets", "watched"), Phrase(evidence.term, 1.0, "en"), -1, -1)


def _core_topic(judgement: Judgement, order: dict[str, int]) -> str | None:
    group = judgement.core.tag.partition(":")[2] if judgement.core else ""
    return group if group in order else None


def _quoted(match: Match | None) -> str:
    return f"\u201c{match.phrase.text}\u201d" if match else ""


def _why_in(judgement: Judgement) -> str:
    pair = judgement.pair
    if pair.first and pair.second and pair.score >= weight(judgement.core):
        if pair.first.tag.startswith("responses:"):
            by = f" by {_quoted(judgement.responder)}" if judgement.responder else ""
            return f"a response ({_quoted(pair.first)}){by} to {_quoted(pair.second)}"
        by = f", by {_quoted(judgement.agent)}" if judgement.agent else ""
        return f"{_quoted(pair.first)} against {_quoted(pair.second)}{by}"
    return f"{_quoted(judgement.core)} names the issue"


def _why_out(judgement: Judgement) -> str:
    """Why an item is out of scope, in the words an editor would use."""
    if judgement.sense and not judgement.pair.score:
        return f"Out of scope: {_quoted(judgement.sense)} uses the word in another sense."
    if judgement.damper is not None and (judgement.pair.score or judgement.core):
        group = judgement.damper.tag.partition(":")[2]
        found = _quoted(judgement.pair.first or judgement.core)
        return f"Out of scope: {found} but {_quoted(judgement.damper)} reads as {group}."
    if judgement.act and not judgement.target:
        return f"Out of scope: {_quoted(judgement.act)} names no civic or political target."
    if judgement.target and not judgement.act:
        return f"Out of scope: {_quoted(judgement.target)} but no repressive act."
    if judgement.act and judgement.target:
        return (
            f"Out of scope: {_quoted(judgement.act)} and {_quoted(judgement.target)} "
            "are not in one sentence, or too weak together."
        )
    return "Out of scope: no repressive act or civic or political target named."


def confidence(score: float, threshold: float) -> float:
    """0.5 at the threshold, rising towards 1 as evidence accumulates."""
    if score <= 0:
        return 0.0
    return 1.0 - math.pow(0.5, score / threshold)


def _field(name: str) -> Field:
    return "title" if name == "title" else "summary"


def classification_record(item_id: str, classification: Classification) -> dict[str, Any]:
    """One line of `digest classify -` output (the documented contract)."""
    return {
        "id": item_id,
        "topics": list(classification.topics),
        "primary": classification.primary,
        "confidence": round(classification.confidence, 4),
        "evidence": [
            {"topic": ev.topic, "term": ev.term, "field": ev.field, "weight": ev.weight}
            for ev in classification.evidence
        ],
        "relevance": round(classification.relevance, 3),
        "why": classification.why,
    }


def explain(classification: Classification, taxonomy: Taxonomy) -> str:
    """A readable breakdown for `digest classify --explain`."""
    labels = {topic.id: topic.label for topic in taxonomy.topics}
    if classification.primary is None:
        lines = ["Off-topic: no topic reached the threshold."]
    else:
        lines = [
            f"Filed under: {labels[classification.primary]} ({classification.primary}), "
            f"confidence {classification.confidence:.2f}"
        ]
    if classification.why:
        lines.append(f"Why: {classification.why} (relevance {classification.relevance:.2f})")
    for topic, score in classification.scores:
        lines.append(f"  {labels.get(topic, topic)}: score {score:.2f}")
        for ev in classification.evidence:
            if ev.topic == topic:
                lines.append(f'    {ev.weight:+g}  "{ev.term}" in the {ev.field}')
    lines.append(f"(threshold {taxonomy.threshold:g})")
    return "\n".join(lines)


def classify_lines(lines: Iterable[str], taxonomy: Taxonomy) -> Iterator[tuple[str, bool]]:
    """`digest classify -`: one JSON line out per JSON line in, in order, and
    whether it was understood. Nothing is stored; the database is not opened."""
    classifier = Classifier(taxonomy)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            item_id = str(record["id"])
            title, summary = str(record.get("title") or ""), str(record.get("summary") or "")
            lang = record.get("lang")
            lang = str(lang) if lang else None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = {"line": number, "error": f"not an item: {exc}"}
            yield json.dumps(problem, ensure_ascii=False), False
            continue
        found = classifier.classify(title, summary, lang)
        yield json.dumps(classification_record(item_id, found), ensure_ascii=False), True


def explain_text(text: str, taxonomy: Taxonomy) -> str:
    """`digest classify --explain`: how `text` would be filed, and why."""
    return explain(Classifier(taxonomy).classify(text, "", None), taxonomy)
