"""`digest classify`: the JSON Lines contract scripts and evaluations rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import SAMPLE_OPML, write_config

ITEMS = [
    {"id": "a", "title": "Opposition activist arrested in Siem Reap", "summary": "", "lang": "en"},
    {
        "id": "b",
        "title": "Un syndicaliste condamné à deux ans de prison",
        "summary": "",
        "lang": "fr",
    },
    {
        "id": "c",
        "title": "Phnom Penh Crown win the league 3-1",
        "summary": "Football.",
        "lang": None,
    },
    {"id": "d", "title": "ប៉ូលិសចាប់ខ្លួនសកម្មជនបក្សប្រឆាំង", "summary": "", "lang": None},
]


def classify(
    *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", "classify", *args],
        input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd,
    )  # fmt: skip


def test_one_json_line_out_per_line_in_in_order(tmp_path: Path) -> None:
    config = write_config(tmp_path, SAMPLE_OPML)
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in ITEMS)
    result = classify("-", "--config", str(config), stdin=lines)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d"]
    for record in out:
        assert set(record) == {
            "id", "topics", "primary", "confidence", "evidence", "relevance", "why"
        }  # fmt: skip
        assert 0 <= record["relevance"] <= 1 and record["why"]
        for evidence in record["evidence"]:
            assert set(evidence) == {"topic", "term", "field", "weight"}
            assert evidence["field"] in ("title", "summary")
    assert out[2]["primary"] is None and out[2]["topics"] == [], "a football score is off-topic"
    assert all(o["primary"] for o in (out[0], out[1], out[3]))
    assert not (tmp_path / "digest.sqlite3").exists(), "the database is never touched"


def test_a_bad_line_is_reported_in_place_and_the_rest_still_classified() -> None:
    good = json.dumps(ITEMS[0])
    result = classify("-", stdin=f"{good}\n{{broken\n{good}\n")
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "a"]
    assert out[1]["line"] == 2 and "error" in out[1]


def test_taxonomy_option_and_a_broken_taxonomy(tmp_path: Path) -> None:
    custom = tmp_path / "mine.toml"
    custom.write_text(
        'threshold = 1.0\n\n[[topics]]\nid = "sport"\nlabel = "Sport"\n'
        'definition = "Games"\n[topics.en]\n"league" = 2.0\n',
        "utf-8",
    )
    result = classify("-", "--taxonomy", str(custom), stdin=json.dumps(ITEMS[2]) + "\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["primary"] == "sport"
    broken = tmp_path / "broken.toml"
    broken.write_text("threshold = 1.0\n[[topics]]\nid = \n", "utf-8")
    failed = classify("-", "--taxonomy", str(broken), stdin=json.dumps(ITEMS[0]) + "\n")
    assert failed.returncode == 2
    assert f"{broken}:3" in failed.stderr


def test_explain_names_the_words_that_matched() -> None:
    result = classify("--explain", "Union leader jailed after casino strike")
    assert result.returncode == 0, result.stderr
    assert "Filed under: Workers and trade unions" in result.stdout
    assert '"union leader" in the title' in result.stdout


def test_an_editors_correction_wins_on_rebuild_and_is_exported(tmp_path: Path) -> None:
    from digest import load_config, open_digest

    config = write_config(tmp_path, SAMPLE_OPML)
    with open_digest(load_config(config)) as digest:
        digest.update()
        title = "Monk who joined land protest beaten by unidentified men"
        [item] = [i for i in digest.store.items.all() if i.title == title]
        assert digest.plan().items and digest.edit_item(item.id, topic="land-environment")
        for _ in range(2):  # and on every later build
            filed = {e.item.id: e.classification for e in digest.build().edition.items}
            assert filed[item.id].primary == "land-environment"
            assert filed[item.id].set_by_editor
    result = subprocess.run(
        [sys.executable, "-m", "digest", "corrections", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(row) for row in result.stdout.splitlines()]
    assert line["id"] == str(item.id) and line["primary"] == "land-environment"
    assert line["title"] == title and line["machine_primary"] != "land-environment"
