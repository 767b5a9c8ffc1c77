"""Grouping reports of one event: the sample's stories, and what must stay apart."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digest.bundled import bundled_concepts
from digest.cluster import (
    StoryBatch,
    cluster_items,
    decode_terms,
    similarity,
    story_item,
    term_counts,
)
from digest.concepts import SUMMARY_WORDS, item_concepts, parse_concepts
from digest.errors import ConfigError
from digest.types import Item, Story

from . import stories
from .stories import PAIRS, grouped, sample_digest

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
A_FEW_HOURS = timedelta(hours=3)


def report(item_id: int, outlet: str, title: str, summary: str = "", **extra: object) -> Item:
    when = extra.pop("when", NOW)
    return Item(
        id=item_id, source_url=f"https://{outlet}.example/feed", outlet=outlet, guid=str(item_id),
        url=f"https://{outlet}.example/{item_id}", canonical_url=f"https://{outlet}.example/{item_id}",
        title=title, summary=summary, published=when, first_seen=when, updated=when,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


UNION = report(
    1,
    "dispatch",
    "Union leader jailed for two years after casino strike",
    "A Phnom Penh court sentenced casino union leader Sok Rathana to two years.",
)
UNION_AGAIN = report(
    2,
    "observer",
    "Court jails casino union leader Sok Rathana for two years",
    "Sok Rathana, who led the casino strike, was sentenced on Tuesday.",
)
OTHER_ARREST = report(
    3,
    "bulletin",
    "Opposition youth activist arrested over Facebook post",
    "Police in Siem Reap arrested a youth activist on Monday.",
)
FILLER = [
    report(10 + n, f"outlet{n}", title, "")
    for n, title in enumerate(
        [
            "Rice exporters expect record shipments",
            "Election body strikes candidates from the ballot",
            "Monk beaten after land protest",
            "Radio station loses licence",
            "Garment workers' protest dispersed",
        ]
    )
]


def test_two_reports_of_one_event_are_one_story() -> None:
    stories = cluster_items([UNION, UNION_AGAIN, OTHER_ARREST, *FILLER])
    assert [set(story.members) for story in stories] == [{1, 2}]


def test_the_same_outlet_never_makes_a_story_with_itself() -> None:
    same_outlet = replace(UNION_AGAIN, source_url=UNION.source_url)
    assert cluster_items([UNION, same_outlet, *FILLER]) == ()


def test_reports_days_apart_are_different_stories() -> None:
    later = replace(UNION_AGAIN, published=NOW + timedelta(days=5))
    assert cluster_items([UNION, later, *FILLER]) == ()


def test_the_lead_is_the_editors_then_the_editions_language_then_the_fullest() -> None:
    french = replace(UNION_AGAIN, lang="fr", summary=UNION_AGAIN.summary * 3)
    story = cluster_items([replace(UNION, lang="en"), french, *FILLER], lang="en")[0]
    assert story.lead == 1
    story = cluster_items([UNION, replace(UNION_AGAIN, summary=UNION.summary + " More.")])[0]
    assert story.lead == 2
    story = cluster_items([replace(UNION, editor_added=True), UNION_AGAIN, *FILLER])[0]
    assert story.lead == 1


def test_a_report_whose_own_words_outweigh_those_it_shares_still_finds_its_story() -> None:
    said = (
        "Police detained seven land activists in Kratie province after a protest over "
        "a rubber concession on Monday, rights groups said."
    )
    earlier = NOW - A_FEW_HOURS
    first = report(1, "dispatch", "Land activists detained in Kratie", said, when=earlier)
    # Words no other report uses weigh the most, and some are typing slips.
    later = report(
        2, "observer", "Seven held after rubber plantation protest",
        f"{said} Xqzt vrmpl ktharo bnlwe dqusy frotz.",
    )  # fmt: skip
    stories = cluster_items([first, later, *FILLER])
    assert [set(story.members) for story in stories] == [{1, 2}]


def test_a_batch_gathered_in_any_order_gives_the_stories_of_its_final_items() -> None:
    # As an update gathers them: feeds in the order they answer, and an
    # item changed by its feed (reworded: no longer the union story) replaced.
    background = [item for item in stories.background() if item.id % 3]
    final = [UNION, UNION_AGAIN, OTHER_ARREST, *FILLER, *background]
    expected = cluster_items(final, concepts=CONCEPTS)
    assert together(1, 2, expected)
    for seed in range(5):
        batch = StoryBatch()
        arriving = final[:]
        random.Random(seed).shuffle(arriving)
        first_version = replace(UNION_AGAIN, title="Casino union leader Sok Rathana jailed")
        batch.add(story_item(first_version))
        batch.add(story_item(replace(OTHER_ARREST, id=99)))  # later older than the horizon
        for item in arriving:
            batch.add(story_item(item))
        batch.discard(99)
        assert batch.ids == {item.id for item in final}
        assert batch.stories(concepts=CONCEPTS) == expected, seed
    # Replaced by words of another event, a report leaves its story.
    reworded = replace(UNION_AGAIN, title="Rice exporters expect record shipments", summary="")
    batch.add(story_item(reworded))
    assert not together(1, 2, batch.stories(concepts=CONCEPTS))


def together(a: int, b: int, found: tuple[Story, ...]) -> bool:
    return any({a, b} <= set(story.members) for story in found)


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = {"casino": 2.0, "union": 1.0}, {"casino": 1.0, "court": 1.0}
    assert similarity(a, b) == similarity(b, a) == 1 / 4
    assert similarity(a, a) == 1.0 and similarity(a, {}) == 0.0


def test_the_samples_stories_are_grouped_across_languages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with sample_digest(tmp_path) as digest:
        config = digest.context.config
        items = {item.id: item for item in digest.store.items.all()}
        stories = digest.stories()
        stored = digest.store.items.story_items(since=datetime(2000, 1, 1, tzinfo=UTC))
        stored_terms = {item.id: terms for item, terms in stored}
    # Each report's terms were counted beside the parsing and kept with it.
    assert {item_id: decode_terms(text or "") for item_id, text in stored_terms.items()} == {
        item.id: term_counts(item.title, item.summary) for item in items.values()
    }
    outlets = sorted(sorted(items[m].outlet for m in story.members) for story in stories)
    assert outlets == [
        # Meas Dara's arrest in Thailand, in English and French.
        ["Le Courrier du Mékong", "Phnom Penh Observer"],
        # The casino union leader's sentence, in English twice and in Khmer.
        ["Mekong Dispatch", "Phnom Penh Observer", "Sangkum Voice (សំឡេងសង្គម)"],
        # The reporter charged over logging, in English and Khmer.
        ["Phnom Penh Observer", "Sangkum Voice (សំឡេងសង្គម)"],
    ]
    for story in stories:
        assert items[story.lead].lang == "en", "the edition's language leads"
    # The stored terms give the stories counting them afresh gives.
    afresh = cluster_items(
        list(items.values()),
        threshold=config.digest.story_similarity,
        lang=config.digest.language,
        concepts=bundled_concepts(),
    )
    assert afresh == tuple(stories)


# -- across languages: concepts, not words ----------------------------------------

CONCEPTS = bundled_concepts()
LAND_ARREST_EN = report(
    20,
    "dispatch",
    "Police arrest three land activists in Koh Kong",
    "Three villagers campaigning against a sugar plantation were arrested in Koh Kong "
    "province on Friday and accused of incitement, their lawyer Chan Vuthy said.",
    lang="en",
)
LAND_ARREST_FR = report(
    21,
    "courrier",
    "Trois militants fonciers arrêtés à Koh Kong",
    "Trois villageois opposés à une plantation de canne à sucre ont été arrêtés vendredi "
    "dans la province de Koh Kong et accusés d'incitation, selon leur avocat Chan Vuthy.",
    lang="fr",
)
LAND_ARREST_KM = report(
    22,
    "sangkum",
    "សកម្មជនដីធ្លីបីនាក់ត្រូវបានចាប់ខ្លួននៅខេត្តកោះកុង",
    "ប៉ូលិសបានចាប់ខ្លួនអ្នកភូមិបីនាក់ដែលតវ៉ាប្រឆាំងនឹងចម្ការអំពៅ ហើយចោទប្រកាន់ពួកគេពីបទញុះញង់។",
    lang="km",
)


def test_one_event_in_english_french_and_khmer_is_one_story() -> None:
    stories = cluster_items(
        [LAND_ARREST_EN, LAND_ARREST_FR, LAND_ARREST_KM, *FILLER], lang="fr", concepts=CONCEPTS
    )
    assert [set(story.members) for story in stories] == [{20, 21, 22}]
    assert stories[0].lead == 21, "the report in the edition's language leads"
    # Without the lexicon, reports in different languages stay apart.
    assert cluster_items([LAND_ARREST_EN, LAND_ARREST_FR, LAND_ARREST_KM, *FILLER]) == ()


def test_long_summaries_group_and_lead_as_whole_ones() -> None:
    # A batch keeps only the start of a long summary (the words concepts are
    # read from), and each summary's length: the stories must not change.
    padding = " ".join(["Villagers\tgathered outside the court\nfor hours."] * 40)
    english = replace(LAND_ARREST_EN, summary=f"{LAND_ARREST_EN.summary} {padding}")
    french = replace(LAND_ARREST_FR, summary=f"{LAND_ARREST_FR.summary} {padding} {padding}")

    def start(summary: str) -> str:
        return " ".join(summary.split()[:SUMMARY_WORDS])

    # The French summary is the fuller, the English one's start the longer.
    assert len(french.summary) > len(english.summary) > 1500
    assert len(start(english.summary)) > len(start(french.summary))
    stories = cluster_items([english, french, *FILLER], concepts=CONCEPTS)
    assert [set(story.members) for story in stories] == [{20, 21}]
    assert stories[0].lead == 21, "the fullest summary leads, counted whole"
    # Past the start nothing is read: places named there change nothing.
    elsewhere = replace(english, summary=f"{english.summary} Siem Reap, Battambang, Kampot.")
    assert cluster_items([elsewhere, french, *FILLER], concepts=CONCEPTS) == stories


def test_the_same_kind_of_event_elsewhere_is_another_story() -> None:
    logging_en = report(
        23,
        "observer",
        "Reporter charged with incitement over logging story in Prey Lang",
        "The journalist had filmed trucks carrying timber out of the forest.",
        lang="en",
    )
    # The same charge over the same subject, but in Mondulkiri: another reporter.
    logging_km = report(
        24,
        "sangkum",
        "អ្នកសារព័ត៌មានត្រូវបានចោទប្រកាន់ពីបទញុះញង់ក្រោយផ្សាយអំពីការកាប់ព្រៃឈើនៅខេត្តមណ្ឌលគិរី",
        "",
        lang="km",
    )
    there = replace(logging_km, title=logging_km.title.replace("ខេត្តមណ្ឌលគិរី", "ព្រៃឡង់"))
    assert [set(s.members) for s in cluster_items([logging_en, there], concepts=CONCEPTS)] == [
        {23, 24}
    ]
    assert cluster_items([logging_en, logging_km, *FILLER], concepts=CONCEPTS) == ()


def test_reports_across_languages_need_an_event_and_something_that_pins_it() -> None:
    eviction_fr = report(
        24,
        "courrier",
        "Des familles expulsées de leurs terres",
        "Une centaine de familles ont été expulsées ; les habitants dénoncent un accaparement.",
        lang="fr",
    )
    eviction_km = report(
        25,
        "sangkum",
        "ពលរដ្ឋជាង៥០គ្រួសារត្រូវបានបណ្ដេញចេញពីដីធ្លី",
        "អ្នកភូមិនិយាយថាក្រុមហ៊ុនបានរុះរើផ្ទះរបស់ពួកគេ។",
        lang="km",
    )
    weather_en = report(
        26, "observer", "Cooler nights ahead for Phnom Penh", "Forecasters expect 21 degrees.",
        lang="en",
    )  # fmt: skip
    trial_fr = report(
        27,
        "courrier",
        "Procès à Phnom Penh",
        "Le tribunal de Phnom Penh a condamné huit opposants pour complot.",
        lang="fr",
    )
    congress_en = report(
        28,
        "observer",
        "Casino union holds its congress in Phnom Penh",
        "Delegates of the casino workers' union met for two days.",
        lang="en",
    )
    sentence_km = report(29, "sangkum", "តុលាការក្រុងភ្នំពេញកាត់ទោសមេដឹកនាំសហជីពកាស៊ីណូ", "", lang="km")
    # Two evictions with nothing to say they are the same one; a place alone;
    # a union, a casino and a city in common, but nothing that happened to both.
    assert cluster_items([eviction_fr, eviction_km, *FILLER], concepts=CONCEPTS) == ()
    assert cluster_items([weather_en, trial_fr, *FILLER], concepts=CONCEPTS) == ()
    assert cluster_items([congress_en, sentence_km, *FILLER], concepts=CONCEPTS) == ()


def test_concepts_are_words_of_each_language_and_acronyms_in_capitals() -> None:
    english = report(30, "a", "UN experts condemn the arrest", "They met in Geneva.", lang="en")
    french = report(
        31, "b", "Arrestation d'un militant", "La police a interpellé un jeune.", lang="fr"
    )
    assert {"body:un", "event:arrest", "event:condemnation", "name:geneva"} <= set(
        item_concepts(english, CONCEPTS)
    )
    found = set(item_concepts(replace(french, lang="fr"), CONCEPTS))
    assert {"event:arrest", "role:activist", "role:police"} <= found
    assert "body:un" not in found, "the French article un is not the UN"


@pytest.mark.parametrize(
    ("lexicon", "problem"),
    [
        ('[event.arrest]\nen = ["arrested"]\n[event.release]\nen = ["arrests"]', "same words"),
        ('[event.arrest]\nfr = ["de la"]', "only small words"),
        ('[events.arrest]\nen = ["arrested"]', "unknown kind"),
        ('[event.arrest]\nde = ["verhaftet"]', "expected en, fr or km"),
    ],
)
def test_a_broken_lexicon_names_the_concept(lexicon: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_concepts(lexicon, "concepts.toml")


def test_labelled_pairs_across_languages_are_grouped_as_labelled() -> None:
    """Twelve events reported in two languages, and twelve pairs of alike but
    different events (another place, person or act): `make bench-stories`
    prints the same with the concepts behind each mistake."""
    wrong = [pair["id"] for pair in PAIRS if grouped(pair) != pair["same"]]
    assert wrong == []
