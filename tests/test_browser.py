"""The built email in a real browser: Debian's chromium, driven by Playwright.

What a reader on a phone or in dark mode would notice: sideways scrolling,
unreadable colours, Khmer shown as empty boxes, anything fetched from outside.
Screenshots are written to output/screenshots/ (or $DIGEST_TEST_ARTIFACTS)
so a person can look at them after the run. The `browser` fixture is in
conftest.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from digest.theme import contrast_ratio

from .browser import artifact
from .conftest import SAMPLE_OPML, run_digest, write_config
from .editions import LOGO_PNG, THREE_LANGUAGES

# Every element that shows text of its own, with its colour and the colour
# actually painted behind it (the first opaque background up the tree).
VISIBLE_TEXT_COLOURS = """
() => {
  const opaque = (c) => c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0)');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const hidden = style.visibility === 'hidden' || style.opacity === '0';
    if (!box.width || !box.height || hidden) continue;
    let bg = null;
    for (let up = el; up && !bg; up = up.parentElement) {
      const b = getComputedStyle(up).backgroundColor;
      if (opaque(b)) bg = b;
    }
    found.push({
      text: el.textContent.trim().slice(0, 40),
      color: style.color,
      background: bg || 'rgb(255, 255, 255)',
    });
  }
  return found;
}
"""


@pytest.fixture(scope="module", params=["sectioned", "briefing"])
def edition_folder(tmp_path_factory: pytest.TempPathFactory, request: Any) -> Path:
    """The sample edition in each layout, built with a logo and a public
    archive address, in English (this folder), French and Khmer (beside it)."""
    folder = tmp_path_factory.mktemp(f"browser-{request.param}-")
    (folder / "logo.png").write_bytes(LOGO_PNG)
    config = write_config(
        folder,
        SAMPLE_OPML,
        f'\n[theme]\nlogo = "logo.png"\nlayout = "{request.param}"\n'
        '\n[list]\narchive_url = "https://press-office.example/digest/"\n' + THREE_LANGUAGES,
    )
    # A separate process: Playwright's sync API keeps an event loop running in
    # this one, where `digest update` could not start its own.
    result = run_digest(config)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]).parent


def open_page(
    browser: Any, path: Path, width: int, scheme: str = "light"
) -> tuple[Any, list[str]]:
    """The page at `width` px, and every request it made beyond its own file."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, [url for url in requests if url != path.as_uri()]


def screenshot(page: Any, name: str) -> None:
    layout = "briefing-" if "/browser-briefing-" in page.url else ""
    page.screenshot(path=str(artifact(layout + name)), full_page=True)


@pytest.mark.parametrize("width", [320, 375, 600])
@pytest.mark.parametrize("name", ["email.html", "index.html"])
def test_fits_the_screen_with_no_sideways_scroll(
    browser: Any, edition_folder: Path, width: int, name: str
) -> None:
    page, _ = open_page(browser, edition_folder / name, width)
    try:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width}px wide on a {width}px screen"
        screenshot(page, f"{Path(name).stem}-{width}px.png")
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("lang", ["fr", "km"])
def test_the_french_and_khmer_editions_fit_and_read_light_and_dark(
    browser: Any, edition_folder: Path, lang: str, width: int, scheme: str
) -> None:
    path = edition_folder.parent.parent / lang / edition_folder.name / "email.html"
    page, requests = open_page(browser, path, width, scheme)
    try:
        assert page.evaluate("document.documentElement.lang") == lang
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{lang} is {scroll_width}px wide on a {width}px screen"
        texts = page.evaluate(VISIBLE_TEXT_COLOURS)
        screenshot(page, f"email-{lang}-{width}px-{scheme}.png")
    finally:
        page.close()
    assert [url for url in requests if not url.startswith("cid:")] == []
    poor = [
        t["text"] for t in texts if contrast_ratio(_hex(t["color"]), _hex(t["background"])) < 4.5
    ]
    assert poor == [], f"text under WCAG AA contrast in the {lang} edition, {scheme} mode"


def test_the_email_fetches_nothing(browser: Any, edition_folder: Path) -> None:
    page, requests = open_page(browser, edition_folder / "email.html", 600)
    page.close()
    # The logo is a cid: part of the message; a browser cannot even ask for it.
    assert [url for url in requests if not url.startswith("cid:")] == []
    web, requests = open_page(browser, edition_folder / "index.html", 600)
    web.close()
    assert requests == [(edition_folder / "logo.png").as_uri()], "only the logo beside it"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_is_readable(browser: Any, edition_folder: Path, scheme: str) -> None:
    page, _ = open_page(browser, edition_folder / "email.html", 600, scheme)
    try:
        texts = page.evaluate(VISIBLE_TEXT_COLOURS)
        screenshot(page, f"email-600px-{scheme}.png")
    finally:
        page.close()
    assert len(texts) > 50
    poor = [
        (t["text"], t["color"], t["background"], round(ratio, 2))
        for t in texts
        if (ratio := contrast_ratio(_hex(t["color"]), _hex(t["background"]))) < 4.5
    ]
    assert poor == [], f"text under WCAG AA contrast in {scheme} mode"


def test_dark_mode_really_turns_the_email_dark(browser: Any, edition_folder: Path) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        page, _ = open_page(browser, edition_folder / "email.html", 600, scheme)
        colours[scheme] = page.evaluate(
            "() => { const h = document.querySelector('h1'); "
            "const p = h.closest('.paper'); return [getComputedStyle(p).backgroundColor, "
            "getComputedStyle(document.querySelector('.item')).color]; }"
        )
        page.close()
    light_paper, light_text = map(_hex, colours["light"])
    dark_paper, dark_text = map(_hex, colours["dark"])
    assert (
        contrast_ratio(light_paper, "#ffffff") < 1.1
        and contrast_ratio(dark_paper, "#000000") < 1.5
    )
    assert contrast_ratio(dark_text, dark_paper) >= 4.5


def test_khmer_is_drawn_with_a_khmer_font(browser: Any, edition_folder: Path) -> None:
    if (
        not shutil.which("fc-list")
        or not subprocess.run(
            ["fc-list", ":lang=km"], capture_output=True, text=True
        ).stdout.strip()
    ):
        message = "no Khmer font installed: `make test` installs fonts-khmeros when run as root"
        if os.environ.get("DIGEST_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    page, _ = open_page(browser, edition_folder / "email.html", 375)
    try:
        khmer = page.locator('.item[lang="km"] a').first
        khmer.scroll_into_view_if_needed()
        layout = "briefing-" if "/browser-briefing-" in page.url else ""
        khmer.screenshot(path=str(artifact(f"{layout}khmer-headline-375px.png")))
        # Ask the renderer which installed fonts drew the headline's glyphs.
        session = page.context.new_cdp_session(page)
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        node = session.send(
            "DOM.querySelector", {"nodeId": root, "selector": '.item[lang="km"] a'}
        )
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    finally:
        page.close()
    khmer_glyphs = sum(f["glyphCount"] for f in fonts if "khmer" in f["familyName"].lower())
    assert khmer_glyphs > 10, f"Khmer headline drawn with {fonts}"


def _hex(css_colour: str) -> str:
    """`rgb(31, 41, 51)` → `#1f2933` (alpha, if any, is ignored: our colours are opaque)."""
    numbers = css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")
    red, green, blue = (int(float(n)) for n in numbers[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"
