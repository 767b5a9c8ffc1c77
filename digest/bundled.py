"""What ships inside press-digest: the taxonomy, the focus regions, the concept
lexicon and the templates, and reading a taxonomy or focus file an editor names.

An edge: it reads files (the package's own, or the editor's). Errors name the
file, line and key.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from importlib import resources
from pathlib import Path

from .concepts import Concepts, parse_concepts
from .errors import ConfigError
from .focus import Region, parse_focus
from .messages import Messages, parse_messages
from .taxonomy import parse_taxonomy
from .types import Taxonomy

PACKAGE_DIR = Path(__file__).resolve().parent


def load_taxonomy(path: Path | None) -> Taxonomy:
    """The taxonomy in `path`, or the bundled one; errors name file, line, key."""
    text, name = _read(path, "taxonomy.toml", "bundled taxonomy", "the taxonomy")
    return parse_taxonomy(text, name)


def load_focus(path: Path | None) -> dict[str, Region]:
    """The focus regions in `path`, or the bundled ones; errors name file, line, key."""
    text, name = _read(path, "focus.toml", "bundled focus.toml", "the focus regions")
    return parse_focus(text, name)


def _read(path: Path | None, bundled: str, bundled_name: str, what: str) -> tuple[str, str]:
    """The text of `path` (or of the bundled file) and the name errors give it."""
    if path is None:
        return resources.files("digest").joinpath(bundled).read_text("utf-8"), bundled_name
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read {what}: {exc}") from exc


@functools.cache
def bundled_concepts() -> Concepts:
    """The concept lexicon that lets reports in different languages be one story."""
    text = resources.files("digest").joinpath("concepts.toml").read_text("utf-8")
    return parse_concepts(text, "bundled concepts.toml")


def bundled_templates_dir() -> Path:
    """The templates shipped with press-digest.

    A wheel carries them inside the package; a source checkout (and an
    editable install) has them in the top-level `templates/` folder.
    """
    packaged = PACKAGE_DIR / "_bundled" / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


def load_messages(lang: str, templates: Path | None = None, digits: str = "latin") -> Messages:
    """The frame's words in `lang`: the bundled catalogue, with the entries of
    one in the editor's template folder (locale/<lang>/LC_MESSAGES/digest.po)
    taking precedence. A language with neither speaks English."""
    found = _catalogue(lang, templates)
    return replace(found, digits=digits) if digits != found.digits else found


def _catalogue(lang: str, templates: Path | None) -> Messages:
    found = Messages(lang=lang)
    if not lang or lang == "en" and templates is None:
        return found
    catalogue = resources.files("digest").joinpath("locale", lang, "LC_MESSAGES", "digest.po")
    if catalogue.is_file():
        found = parse_messages(catalogue.read_bytes(), lang)
    own = templates / "locale" / lang / "LC_MESSAGES" / "digest.po" if templates else None
    if own is not None and own.is_file():
        mine = parse_messages(own.read_bytes(), lang)
        mine_ids = {key for key, _ in mine.forms}
        kept = tuple(pair for pair in found.forms if pair[0] not in mine_ids)
        found = Messages(lang, kept + mine.forms, mine.plural_rule)
    return found
