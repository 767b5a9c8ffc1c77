"""Whether an item is in the digest's scope, who did what to whom, and why.

Pure. An item is in scope when it reports a repressive act against a civic
or political target, or a response to one. The scope's phrases (the [scope]
of the taxonomy) are found sentence by sentence; an act and a target count
together only when they meet in one sentence, or one is in the headline and
the other in the sentence after it, so a long article that mentions a
journalist in one paragraph and an arrest in another is not a story about a
journalist's arrest. Only the headline and the lede (`LEDE_SENTENCES`) are
read: that is where a news story says what happened. A phrase that names the
issue on its own ("political prisoner") is enough; each sign of ordinary
crime, sport or business lowers the score unless such a phrase is there.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .phrases import Match
from .types import Scope, ScopeKind

LEDE_SENTENCES = 6
MAX_DAMPERS = 3
# A response ("urged the release") whose author the sentence does not name
# counts for less than one by the UN, a government or a rights group, unless
# its group needs no author ([scope] responses_alone: only governments impose
# sanctions).
UNNAMED_RESPONDER = 0.6


@dataclass(frozen=True)
class Pair:
    """The strongest "who did what to whom" found: its score and its parts."""

    score: float
    first: Match | None = None  # an act, or a response
    second: Match | None = None  # a target, or what the response is about
    segments: tuple[int, ...] = ()


@dataclass(frozen=True)
class Judgement:
    relevance: float
    in_scope: bool
    pair: Pair
    core: Match | None
    damper: Match | None
    sense: Match | None
    # (kind, group) found in the headline, and in the main event's sentences.
    headline: frozenset[tuple[str, str]]
    event: frozenset[tuple[str, str]]
    act: Match | None  # the strongest act anywhere, for the "why" of an out
    target: Match | None
    # Who acted (police, a court, "unidentified men"), where the event is told:
    # named in the "why", never scored (police and arrests are mostly crime news).
    agent: Match | None = None
    responder: Match | None = None


def tag(kind: ScopeKind, group: str) -> str:
    return f"{kind}:{group}"


@functools.lru_cache(maxsize=256)
def split_tag(text: str) -> tuple[str, str]:
    """ "acts:detention" -> ("acts", "detention"); a vocabulary has few tags."""
    kind, _, group = text.partition(":")
    return kind, group


class _Summary:
    """The strongest phrase of each kind in some sentences, and their groups."""

    def __init__(self, matches: Iterable[Match]) -> None:
        self.best: dict[str, Match] = {}
        self.groups: set[tuple[str, str]] = set()
        self.dampers: set[str] = set()
        for match in matches:
            kind, group = split_tag(match.tag)
            self.groups.add((kind, group))
            if kind == "dampers":
                self.dampers.add(match.phrase.text)
            held = self.best.get(kind)
            if held is None or match.phrase.weight > held.phrase.weight:
                self.best[kind] = match

    def __getitem__(self, kind: str) -> Match | None:
        return self.best.get(kind)

    @classmethod
    def merged(cls, parts: Sequence[_Summary]) -> _Summary:
        """The summary of several sentences, from theirs: no match read twice."""
        whole = cls(())
        for part in parts:
            whole.groups |= part.groups
            whole.dampers |= part.dampers
            for kind, match in part.best.items():
                held = whole.best.get(kind)
                if held is None or match.phrase.weight > held.phrase.weight:
                    whole.best[kind] = match
        return whole


def weight(match: Match | None) -> float:
    """A match's weight; none found weighs nothing."""
    return match.phrase.weight if match else 0.0


def judge(segments: Sequence[Sequence[Match]], scope: Scope) -> Judgement:
    """Judge one item from the scope matches of its segments: the headline
    first, then the summary's sentences."""
    lede = [_Summary(found) for found in segments[: LEDE_SENTENCES + 1]]
    every = _Summary.merged(lede)
    if len(lede) > 1:  # the headline and the sentence after it, read as one
        lede.append(_Summary.merged(lede[:2]))
    pair = _best_pair(lede, frozenset(scope.responses_alone))
    core = every["core"]
    score = max(pair.score, weight(core))
    if weight(core) < scope.threshold:
        # Each further sign of another domain (a podcast's "episode", its
        # "gaming") makes the story less likely to be about repression.
        score *= scope.damping ** min(len(every.dampers), MAX_DAMPERS)
    headline = frozenset(lede[0].groups) if lede else frozenset()
    event = set(headline)
    for index in {1, *pair.segments}:
        if index < len(segments[: LEDE_SENTENCES + 1]):
            event |= lede[index].groups
    told = [lede[index] for index in (pair.segments or (0,)) if index < len(lede)]
    return Judgement(
        relevance=round(min(score, 1.0), 3),
        in_scope=score >= scope.threshold,
        pair=pair,
        core=core,
        damper=every["dampers"],
        sense=every["senses"],
        headline=headline,
        event=frozenset(event),
        act=every["acts"],
        target=every["targets"],
        agent=_strongest_of(told, "agents"),
        responder=_strongest_of(told, "actors"),
    )


def _strongest_of(places: Sequence[_Summary], kind: str) -> Match | None:
    found = [match for place in places if (match := place[kind]) is not None]
    return max(found, key=weight, default=None)


def _best_pair(places: Sequence[_Summary], alone: frozenset[str]) -> Pair:
    """The act and target (or response and its subject) that meet in one
    sentence, or across the headline and the sentence after it (the last
    place, when there is a summary)."""
    best = Pair(0.0)
    for index, found in enumerate(places):
        where = (0, 1) if index == len(places) - 1 and index > 1 else (index,)
        act, target = found["acts"], found["targets"]
        if act and target and weight(act) * weight(target) > best.score:
            best = Pair(weight(act) * weight(target), act, target, where)
        response = found["responses"]
        subject = max((act, target, found["core"]), key=weight)
        if response and subject:
            score = weight(response) * weight(subject)
            if found["actors"] is None and split_tag(response.tag)[1] not in alone:
                score *= UNNAMED_RESPONDER
            if score > best.score:
                best = Pair(score, response, subject, where)
    return best
