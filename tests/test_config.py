"""The config file: loaded once, validated, with errors that say where."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from digest.config import SECTIONS, database_target, find_config_path, load_config
from digest.errors import ConfigError
from digest.settings import EditionSettings

from .conftest import ROOT, SAMPLE_OPML, write_config


def test_example_config_loads_and_names_every_setting() -> None:
    config = load_config(ROOT / "digest.example.toml")
    assert config.paths.feeds == (ROOT / "feeds" / "sample.opml").resolve()
    assert config.schedule.timezone == "Asia/Phnom_Penh"
    assert config.smtp.password_env == "DIGEST_SMTP_PASSWORD"
    text = (ROOT / "digest.example.toml").read_text("utf-8")
    for section, cls in SECTIONS.items():
        assert f"[{section}]" in text
        for spec in dataclasses.fields(cls):
            documented = f"{spec.name} =" in text or f"[{section}.{spec.name}]" in text
            assert documented, f"{section}.{spec.name} is not documented"


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = write_config(tmp_path / "sub", Path("feeds.opml"))
    assert load_config(path).paths.feeds == (tmp_path / "sub" / "feeds.opml").resolve()


def _error_for(tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None) -> str:
    path = write_config(tmp_path, SAMPLE_OPML, extra)
    if replace:
        path.write_text(path.read_text("utf-8").replace(*replace), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    message = _error_for(tmp_path, replace=("max_age_days = 0", "max_age_days = 0\ncolour = 1"))
    line = _line_of(tmp_path / "digest.toml", "colour")
    assert message.startswith(f"{tmp_path / 'digest.toml'}:{line}: digest.colour: unknown key")


def test_wrong_type_names_the_key_and_what_was_expected(tmp_path: Path) -> None:
    message = _error_for(tmp_path, replace=('"Test digest"', "42"))
    assert f"digest.toml:{_line_of(tmp_path / 'digest.toml', 'title = 42')}:" in message
    assert "digest.title: expected a string, got 42 (an integer)" in message


def test_a_boolean_is_not_a_number(tmp_path: Path) -> None:
    message = _error_for(tmp_path, "\n[smtp]\nport = true\n")
    assert "smtp.port: expected an integer, got true (a boolean)" in message


def test_missing_required_setting_is_named(tmp_path: Path) -> None:
    message = _error_for(tmp_path, replace=('signature = "Dara, press officer"\n', ""))
    assert "digest.signature: missing required setting" in message
    assert f"digest.toml:{_line_of(tmp_path / 'digest.toml', '[digest]')}:" in message


def test_values_are_checked_not_just_typed(tmp_path: Path) -> None:
    assert "is not an email address" in _error_for(
        tmp_path, replace=('"press@example.org"', '"press"')
    )
    not_ascii = ('"press@example.org"', '"presse@médias.kh"')
    assert "sender.address: 'presse@médias.kh' has letters outside ASCII" in _error_for(
        tmp_path, replace=not_ascii
    )
    assert "unknown time zone" in _error_for(tmp_path, '\n[schedule]\ntimezone = "Mars/Base"\n')
    # Five fields, but no minute 99: refused when the config loads, not at send time.
    bad_cron = _error_for(tmp_path, '\n[schedule]\ncron = "99 7 * * 1"\n')
    assert "schedule.cron: '99 7 * * 1' is not a valid cron expression" in bad_cron
    assert f"digest.toml:{_line_of(tmp_path / 'digest.toml', 'cron =')}:" in bad_cron
    assert "name of an environment variable" in _error_for(
        tmp_path, '\n[smtp]\npassword_env = "hunter2 hunter2"\n'
    )


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    message = _error_for(tmp_path, replace=('title = "Test digest"', 'title = "Test digest'))
    assert (
        f"digest.toml:{_line_of(tmp_path / 'digest.toml', 'title =')}: not valid TOML" in message
    )


def test_unknown_section_is_named(tmp_path: Path) -> None:
    assert "smpt: unknown section" in _error_for(tmp_path, "\n[smpt]\nhost = 'x'\n")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_config_is_found_in_the_documented_order(tmp_path: Path) -> None:
    explicit = tmp_path / "explicit.toml"
    env = {"DIGEST_CONFIG": str(tmp_path / "from-env.toml")}
    assert find_config_path(explicit, env, tmp_path) == (explicit, "--config")
    assert find_config_path(None, env, tmp_path) == (Path(env["DIGEST_CONFIG"]), "$DIGEST_CONFIG")
    with pytest.raises(ConfigError, match="no config file"):
        find_config_path(None, {}, tmp_path)
    (tmp_path / "digest.example.toml").write_text("")
    assert find_config_path(None, {}, tmp_path)[1] == "./digest.example.toml"
    (tmp_path / "digest.toml").write_text("")
    assert find_config_path(None, {}, tmp_path) == (tmp_path / "digest.toml", "./digest.toml")


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SAMPLE_OPML))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.digest.title = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("extra", "needle", "message"),
    [
        (
            '\n[theme]\naccent = "red"\n',
            "accent",
            "theme.accent: 'red' is not a colour like #1f2933",
        ),
        (
            '\n[theme]\nfont_family = "Arial; } body { x"\n',
            "font_family",
            "theme.font_family: must be font names",
        ),
        (
            '\n[theme]\nsection_order = "labour-rights"\n',
            "section_order",
            "expected a list of strings",
        ),
        (
            "\n[theme.section_titles]\nlabour-rights = 3\n",
            "[theme.section_titles]",
            "expected a table of strings",
        ),
        ('\n[list]\narchive_url = "https://x.example/digest"\n', "archive_url", "must end with /"),
        (
            '\n[list]\nunsubscribe_url = "http://x.example/u"\n',
            "unsubscribe_url",
            "must be an https:// address",
        ),
        ('\n[list]\nid = "my list"\n', "id =", "must look like digest.example.org"),
        ('\n[database]\nurl = "mysql://db/digest"\n', "url =", "must be a PostgreSQL URL"),
        (
            '\n[database]\nurl = "postgresql://digest:hunter2@db/digest"\n',
            "url =",
            "must not hold the password",
        ),
    ],
)
def test_theme_and_list_settings_are_checked(
    tmp_path: Path, extra: str, needle: str, message: str
) -> None:
    error = _error_for(tmp_path, extra)
    line = _line_of(tmp_path / "digest.toml", needle)
    assert f"digest.toml:{line}: " in error and message in error, error


def test_archived_copy_pattern_must_hold_the_url(tmp_path: Path) -> None:
    replace = ("max_age_days = 0", 'max_age_days = 0\narchived_copy = "https://archive.example/"')
    assert "must contain {url}" in _error_for(tmp_path, replace=replace)


def test_example_config_names_every_setting_of_a_language_edition() -> None:
    config = load_config(ROOT / "digest.example.toml")
    assert config.languages == ("en", "fr", "km")
    assert config.editions.settings("km").digits == "khmer"
    text = (ROOT / "digest.example.toml").read_text("utf-8")
    for spec in dataclasses.fields(EditionSettings):
        assert f"{spec.name} =" in text, f"editions.<lang>.{spec.name} is not documented"


def test_the_database_comes_from_the_environment_then_the_config_then_the_sqlite_file(
    tmp_path: Path,
) -> None:
    sqlite_only = load_config(write_config(tmp_path, SAMPLE_OPML))
    assert database_target(sqlite_only, {}) == tmp_path / "digest.sqlite3"
    shared = load_config(
        write_config(tmp_path, SAMPLE_OPML, '\n[database]\nurl = "postgresql://d@db/digest"\n')
    )
    assert database_target(shared, {}) == "postgresql://d@db/digest"
    secret = "postgresql://d:s3cret@db2/digest"
    assert database_target(shared, {"DIGEST_DATABASE_URL": secret}) == secret
    with pytest.raises(ConfigError, match=r"\$DIGEST_DATABASE_URL.*must be a PostgreSQL URL"):
        database_target(shared, {"DIGEST_DATABASE_URL": "digest.sqlite3"})
