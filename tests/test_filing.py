"""Filing the next edition: the focus (a general and a curated feed, served
over HTTP) and learning from what the editor left out or kept."""

from __future__ import annotations

from pathlib import Path

from digest import load_config, open_digest
from digest.core import Digest
from digest.learning import EditorModel, Example, adjust
from digest.types import Classification

from .conftest import FeedServer, write_config

FOCUS = '\nfocus = ["cambodia"]\n'


def rss(*items: tuple[str, str, str]) -> bytes:
    """A feed of (guid, title, summary), dated in the test's window."""
    body = "".join(
        f"<item><title>{title}</title><link>https://news.example/{guid}</link>"
        f"<guid>{guid}</guid><pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate>"
        f"<description>{summary}</description></item>"
        for guid, title, summary in items
    )
    return f'<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def open_with(tmp_path: Path, outlines: str, extra: str = "") -> Digest:
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<opml version="2.0"><head/><body>{outlines}</body></opml>', "utf-8")
    config = write_config(tmp_path, opml)
    text = config.read_text("utf-8").replace("max_age_days = 0\n", f"max_age_days = 0{extra}")
    config.write_text(text, "utf-8")
    return open_digest(load_config(config))


def by_title(digest: Digest) -> dict[str, Classification]:
    edition = digest.plan()
    return {e.item.title: e.classification for e in (*edition.items, *edition.off_topic)}


MINSK = ("Minsk court jails blogger for eight years", "His lawyer says he reported on rallies.")
PHNOM_PENH = ("Phnom Penh court jails opposition activist", "He was arrested in March.")


def test_a_general_outlets_story_outside_the_focus_is_left_out_and_can_be_put_back(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    wire = feed_server.add("/wire.xml", rss(("w1", *MINSK), ("w2", *PHNOM_PENH)))
    rights = feed_server.add("/rights.xml", rss(("r1", "Minsk blogger's appeal rejected", "")))
    outlines = (
        f'<outline text="Wire" xmlUrl="{wire}"/>'
        f'<outline text="Rights group" xmlUrl="{rights}" curated="true"/>'
    )
    with open_with(tmp_path, outlines, FOCUS) as digest:
        digest.update()
        filed = by_title(digest)
        minsk = filed[MINSK[0]]
        assert minsk.primary is None
        assert minsk.why.startswith("Outside focus: a story for Press freedom")
        assert minsk.relevance >= 0.5, "in scope; only the focus leaves it out"
        assert filed[PHNOM_PENH[0]].primary == "political-prisoners"
        assert filed["Minsk blogger's appeal rejected"].primary, "a curated feed is in focus"

        [item] = [i for i in digest.store.items.all() if i.title == MINSK[0]]
        digest.edit_item(item.id, topic="press-freedom")
        placed = {e.item.title: e.classification for e in digest.plan().items}
        assert placed[MINSK[0]].primary == "press-freedom" and placed[MINSK[0]].set_by_editor


def test_without_a_focus_every_story_in_scope_is_kept(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    wire = feed_server.add("/wire.xml", rss(("w1", *MINSK)))
    with open_with(tmp_path, f'<outline text="Wire" xmlUrl="{wire}"/>') as digest:
        digest.update()
        assert by_title(digest)[MINSK[0]].primary == "press-freedom"


def test_an_unknown_focus_region_names_the_setting(tmp_path: Path) -> None:
    with open_with(tmp_path, "", '\nfocus = ["atlantis"]\n') as digest:
        try:
            digest.plan()
        except Exception as exc:  # noqa: BLE001 - the message is what we check
            assert "digest.focus: unknown region 'atlantis' (known: cambodia)" in str(exc)
        else:
            raise AssertionError("an unknown region must be refused")


FAN_ZONE = [
    (f"f{n}", f"Police arrest activist at {place} fan zone", "Fans watched the final.")
    for n, place in enumerate(("Kandal", "Takeo", "Kampot", "Kep"))
]


def test_stories_like_ones_the_editor_left_out_are_left_out_saying_so(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.add("/feed.xml", rss(*FAN_ZONE[:3]))
    with open_with(tmp_path, f'<outline text="Feed" xmlUrl="{url}"/>') as digest:
        digest.update()
        for item in digest.store.items.all():
            digest.edit_item(item.id, excluded=True)
        feed_server.add("/feed.xml", rss(*FAN_ZONE))
        digest.update()
        newcomer = by_title(digest)[FAN_ZONE[3][1]]
        assert newcomer.primary is None
        assert newcomer.why.startswith("Out: like 3 stories you left out.")
        left_out = digest.plan().excluded
        assert len(left_out) == 3, "the editor's own decisions stand as they were"


def test_stories_like_ones_the_editor_kept_come_in_under_their_topic() -> None:
    kept = [
        Example(f"Court hears land case of {v} villagers", "land-environment", "Wire")
        for v in ("Kratie", "Kampot", "Takeo")
    ]
    model = EditorModel(kept)
    likeness = model.likeness("Court hears land case of Pursat villagers", "Wire")
    assert likeness.kept == 3 and likeness.topic == "land-environment"
    out = Classification(topics=(), primary=None, confidence=0.0, relevance=0.0, why="Out.")
    moved = adjust(out, likeness, 0.5, {"land-environment": "Land"})
    assert moved.primary == "land-environment" and moved.relevance == 0.6
    assert moved.why == "In: like 3 stories you kept under Land."
    unrelated = model.likeness("Stocks rally on rate cut", "Wire")
    assert (unrelated.kept, unrelated.left_out) == (0, 0), "one outlet is not one kind"
