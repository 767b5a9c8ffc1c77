"""The command line: thin, documented, and clear when something is wrong."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from digest import __version__
from digest.cli import cli

from .conftest import ROOT, SAMPLE_OPML, write_config


def all_commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    """Every command by its full name ("run", "feeds", "feeds add"...)."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(all_commands(command, f"{prefix}{name} "))
    return found


COMMANDS = sorted(all_commands())


def test_there_are_commands() -> None:
    assert {"run", "update", "build", "feeds", "feeds add"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    command = all_commands()[name]
    assert command.help and len(command.help.strip()) > 20
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "--config" in result.output
    readme = (ROOT / "README.md").read_text("utf-8")
    assert re.search(rf"`digest {name}\b", readme), f"digest {name} is not in the README"


def test_every_option_has_help() -> None:
    for command in all_commands().values():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.opts} has no help"


def test_the_command_line_starts_without_what_only_some_commands_need() -> None:
    """`digest update` hands parsing to worker processes, and httpx's own
    command line is never run: loading feedparser, lxml or rich (through
    httpx) made every run start later (40 ms of 190)."""
    heavy = ("feedparser", "lxml", "rich", "pygments")
    probe = f"import sys, digest.cli; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.strip() == "[]"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, SAMPLE_OPML, "\n[smtp]\nport = 'twenty-five'\n")
    result = CliRunner().invoke(cli, ["build", "--config", str(config)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert re.match(
        rf"error: {re.escape(str(config))}:\d+: smtp.port: expected an integer", lines[0]
    )
    assert "Traceback" not in result.stderr


def test_missing_feed_file_is_reported_and_the_others_are_stored(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        SAMPLE_OPML.read_text("utf-8")
        .replace('xmlUrl="sample/', f'xmlUrl="{SAMPLE_OPML.parent.as_posix()}/sample/')
        .replace(
            "</outline>\n  </body>",
            '<outline text="Gone" xmlUrl="gone.xml"/>\n</outline>\n  </body>',
        ),
        "utf-8",
    )
    config = write_config(tmp_path, opml)
    result = CliRunner().invoke(cli, ["run", "--config", str(config)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert errors == [f"✗ Gone: feed file not found: {tmp_path / 'gone.xml'}"]
    assert result.stderr.count("✓") == 6, "every sample feed but the missing one"
    assert Path(result.stdout.strip()).is_file()


def test_missing_feed_list_names_the_setting(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "nowhere.opml")
    result = CliRunner().invoke(cli, ["update", "--config", str(config)])
    assert result.exit_code == 2
    assert "paths.feeds: feed list" in result.stderr and "nowhere.opml" in result.stderr


def test_verbose_says_which_config_was_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, SAMPLE_OPML)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["build", "-v"])
    assert result.exit_code == 0, result.stderr
    assert f"using config {tmp_path / 'digest.toml'} (from ./digest.toml)" in result.stderr
