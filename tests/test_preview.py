"""The editor's preview, as an editor uses it: `digest preview` in its own
process, driven in Debian's chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from digest import load_config, open_digest
from digest.delivery import unsubscribe_token
from digest.types import FrozenEdition

from .browser import artifact
from .conftest import SAMPLE_OPML, run_digest, write_config
from .smtp import free_port

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> Court jails critic'


class PreviewServer:
    """`digest preview` on a free port: started, waited for, stopped."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = config.parent / "preview.log"
        self.start_args: list[str] = []
        self.start_probe = True  # False: any answer (even 401) means it is up

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "digest", "preview", "--config", str(self.config),
                 "--port", str(self.port), *self.start_args],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=self.env,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"digest preview died:\n{self.log.read_text('utf-8')}")
            try:
                answer = httpx.get(self.url + "/", timeout=2).status_code
                if answer == 200 or not self.start_probe:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("digest preview did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path, SAMPLE_OPML)
    assert run_digest(path).returncode == 0
    # A closed port: the page cannot be fetched, the editor's text is kept. In
    # its own process: Playwright keeps an event loop running in this one.
    added = subprocess.run(
        [sys.executable, "-m", "digest", "add", "http://127.0.0.1:9/hostile", "--title", HOSTILE,
         "--topic", "political-prisoners", "--config", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return path


@pytest.fixture
def server(config: Path) -> Iterator[PreviewServer]:
    running = PreviewServer(config, {"DIGEST_UNSUBSCRIBE_SECRET": "list-secret"})
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser: Any, server: PreviewServer) -> Iterator[Any]:
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    opened.goto(server.url + "/")
    try:
        yield opened
    finally:
        opened.close()


def email_html(server: PreviewServer) -> str:
    return httpx.get(server.url + "/email.html").text


def card(page: Any, title: str) -> Any:
    return page.locator("article.item", has=page.locator("h3.headline", has_text=title)).first


def test_the_preview_shows_the_bytes_that_will_be_sent(
    server: PreviewServer, config: Path
) -> None:
    with open_digest(load_config(config)) as digest:
        expected = digest.render(digest.plan()).html
    assert email_html(server) == expected
    response = httpx.get(server.url + "/email.html")
    assert "sandbox" in response.headers["content-security-policy"]


def test_leaving_an_item_out_removes_it_from_the_email(page: Any, server: PreviewServer) -> None:
    title = "Families evicted as company fences off farmland in Preah Vihear"
    assert title in email_html(server)
    card(page, title).get_by_role("button", name="Leave out").click()
    page.wait_for_load_state()
    assert title not in email_html(server)
    excluded = page.locator("h2", has_text="Left out by an editor")
    assert excluded.is_visible()
    assert page.locator("article.item", has_text=title).count() == 1, "listed, to put back"


def test_moving_an_item_to_another_section(page: Any, server: PreviewServer) -> None:
    title = "Families evicted as company fences off farmland in Preah Vihear"
    item = card(page, title)
    item.locator("select[name=topic]").select_option("press-freedom")
    item.get_by_role("button", name="Move").click()
    page.wait_for_load_state()
    html = email_html(server)
    press = html.index(">Press freedom<")
    following = html.find("<h2", press + 1)
    assert press < html.index(title) < (following if following > 0 else len(html))


def test_an_edited_summary_is_sent_the_original_kept_and_it_survives_a_restart(
    page: Any, server: PreviewServer, config: Path
) -> None:
    title = "Families evicted as company fences off farmland in Preah Vihear"
    item = card(page, title)
    item.locator("textarea[name=summary]").fill(
        "Forty families lost their homes to a sugar company."
    )
    item.get_by_role("button", name="Save text").click()
    page.wait_for_load_state()
    assert "Forty families lost their homes to a sugar company." in email_html(server)
    with open_digest(load_config(config)) as digest:
        [stored] = [i for i in digest.store.items.all() if i.title == title]
    assert "sugar plantation" in stored.summary, "the original stays stored"
    server.stop()
    server.start()
    assert "Forty families lost their homes to a sugar company." in email_html(server)
    page.goto(server.url + "/")
    assert page.locator("table.audit td", has_text="summary").count() >= 1


def test_approving_then_editing_withdraws_the_approval(page: Any, server: PreviewServer) -> None:
    page.get_by_role("button", name="Approve this edition as it is").click()
    page.wait_for_load_state()
    assert page.locator("#approval").inner_text().startswith("Approved")
    approved_html = email_html(server)
    page.locator("form.texts textarea[name=intro]").fill("A shorter intro for this week.")
    page.locator("form.texts").get_by_role("button", name="Save words").click()
    page.wait_for_load_state()
    notice = page.locator("#approval").inner_text()
    assert notice.startswith("Approval withdrawn") and "changed after it was approved" in notice
    assert email_html(server) != approved_html


def test_state_changes_from_elsewhere_are_refused(server: PreviewServer) -> None:
    form = httpx.get(server.url + "/").text
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    foreign = httpx.post(
        server.url + "/items/1",
        data={"csrf": token, "action": "exclude"},
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    rebinding = httpx.get(server.url + "/", headers={"Host": f"evil.example:{server.port}"})
    assert rebinding.status_code == 400
    no_token = httpx.post(
        server.url + "/items/1", data={"action": "exclude"}, headers={"Origin": server.url}
    )
    assert no_token.status_code == 403
    page = httpx.get(server.url + "/")
    assert (
        "script-src" not in page.headers["content-security-policy"]
        or "'self'" in page.headers["content-security-policy"]
    )
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_hostile_title_shows_as_text_and_runs_nothing(page: Any) -> None:
    item = card(page, "Court jails critic")
    assert '<script>alert("x")</script>' in item.locator("h3.headline").inner_text()
    page.reload()
    page.goto(page.url + "?view=mobile")
    page.wait_for_timeout(300)
    assert page.dialogs == []


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("phone", 390)])
def test_screenshots_of_the_main_page(
    browser: Any, server: PreviewServer, name: str, width: int
) -> None:
    shot = browser.new_page(viewport={"width": width, "height": 900})
    try:
        shot.goto(server.url + "/" + ("?view=mobile" if name == "phone" else ""))
        shot.screenshot(path=str(artifact(f"preview-{name}.png")), full_page=False)
        scroll = shot.evaluate("document.documentElement.scrollWidth")
    finally:
        shot.close()
    assert scroll <= width, f"the preview page scrolls sideways at {width}px"


def test_one_click_unsubscribe_needs_the_readers_own_token(
    server: PreviewServer, config: Path
) -> None:
    with open_digest(load_config(config)) as digest:
        digest.add_recipient("reader@example.org")
        list_id = digest.mailing_list().list_id
    token = unsubscribe_token("list-secret", list_id, "reader@example.org")
    link = f"{server.url}/unsubscribe?address=reader%40example.org&token={token}"
    looked_at = httpx.get(link)  # a link scanner, or the reader's browser
    assert looked_at.status_code == 200 and "Unsubscribe" in looked_at.text
    # A mail provider's server posts it, from its own origin (RFC 8058).
    provider = {
        "Origin": "https://mail.example",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    forged = httpx.post(
        link.replace(token, "0" * 32), content=b"List-Unsubscribe=One-Click", headers=provider
    )
    assert forged.status_code == 400
    with open_digest(load_config(config)) as digest:
        assert [r.address for r in digest.recipients()] == ["reader@example.org"]
    one_click = httpx.post(link, content=b"List-Unsubscribe=One-Click", headers=provider)
    assert one_click.status_code == 200, one_click.text
    with open_digest(load_config(config)) as digest:
        assert digest.recipients() == []
        assert digest.store.edits.audit_log(1)[0].field == "unsubscribed"


def test_watch_reloads_the_page_when_a_template_changes(browser: Any, config: Path) -> None:
    templates = config.parent / "my-templates"
    templates.mkdir()
    (templates / "subject.txt").write_text("{{ text.title }}\n", "utf-8")
    text = config.read_text("utf-8").replace("[paths]\n", '[paths]\ntemplates = "my-templates"\n')
    config.write_text(text, "utf-8")
    server = PreviewServer(config)
    server.start_args = ["--watch"]
    server.start()
    page = browser.new_page()
    try:
        page.goto(server.url + "/")
        assert page.locator("#subject").inner_text() == "Test digest"
        page.wait_for_timeout(300)  # let the page's event stream open
        (templates / "subject.txt").write_text("This week: {{ text.title }}\n", "utf-8")
        page.locator("#subject", has_text="This week: Test digest").wait_for(timeout=10_000)
    finally:
        page.close()
        server.stop()


def test_listening_beyond_loopback_warns_and_needs_a_token(config: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "digest", "preview", "--config", str(config), "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DIGEST_PREVIEW_TOKEN"},
    )  # fmt: skip
    assert refused.returncode == 2
    assert "WARNING" in refused.stderr and "DIGEST_PREVIEW_TOKEN" in refused.stderr
    server = PreviewServer(config, {"DIGEST_PREVIEW_TOKEN": "editor-token"})
    server.start_args = ["--host", "0.0.0.0"]
    server.start_probe = False
    server.start()
    try:
        assert httpx.get(server.url + "/").status_code == 401
        login = httpx.get(server.url + "/?token=editor-token")
        assert login.status_code == 303 and "digest_token" in login.headers["set-cookie"]
        assert "httponly" in login.headers["set-cookie"].lower()
        with httpx.Client(cookies={"digest_token": "editor-token"}) as client:
            assert client.get(server.url + "/").status_code == 200
        bearer = {"Authorization": "Bearer editor-token"}
        assert httpx.get(server.url + "/email.html", headers=bearer).status_code == 200
        assert (
            httpx.get(server.url + "/", headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )
    finally:
        server.stop()


def test_the_archive_shows_editions_as_sent(server: PreviewServer, config: Path) -> None:
    with open_digest(load_config(config)) as digest:
        result = digest.build()
        digest.store.deliveries.freeze(
            FrozenEdition("old-edition", result.rendered, "hash", result.edition.created)
        )
        digest.store.deliveries.enqueue(
            "old-edition", [("a@example.org", "<m@x>", "en")], result.edition.created
        )
        digest.store.deliveries.mark(
            "old-edition", "a@example.org", "sent", result.edition.created, "250 ok"
        )
    archive = httpx.get(server.url + "/archive")
    assert archive.status_code == 200 and "old-edition" in archive.text
    sent = httpx.get(server.url + "/archive/old-edition/email.html")
    assert sent.text == result.rendered.html
    assert "sandbox" in sent.headers["content-security-policy"]
    assert httpx.get(server.url + "/archive/never-sent/email.html").status_code == 404
    assert httpx.post(server.url + "/archive").status_code == 405, "read-only"


def test_hold_reorder_and_pin_the_lead(page: Any, server: PreviewServer) -> None:
    sensitive = "Families evicted as company fences off farmland in Preah Vihear"
    card(page, sensitive).get_by_role("button", name="Hold (sensitive)").click()
    page.wait_for_load_state()
    assert sensitive not in email_html(server), "a held item is never in the email"
    held = page.locator("article.item", has_text=sensitive)
    assert held.count() == 1
    page.locator("form", has=page.get_by_role("button", name="Release")).first.get_by_role(
        "button", name="Release"
    ).click()
    page.wait_for_load_state()
    assert sensitive in email_html(server)

    section = page.locator("h2.section", has_text="Workers and trade unions")
    first, second = [
        page.locator("article.item").nth(n).locator("h3").inner_text()
        for n in _indexes_after(page, section, 2)
    ]
    unions = section_html(email_html(server), "Workers and trade unions")
    assert unions.index(first) < unions.index(second)
    card(page, first).get_by_role("button", name="↓ Down").click()
    page.wait_for_load_state()
    unions = section_html(email_html(server), "Workers and trade unions")
    assert unions.index(second) < unions.index(first), "moved down within its section"

    card(page, second).get_by_role("button", name="Make lead").click()
    page.wait_for_load_state()
    assert second in section_html(email_html(server), "Top story")


def section_html(html: str, heading: str) -> str:
    """The part of the email under one section heading, up to the next, with
    entities decoded so that it compares with text read off the page."""
    start = html.index(f">{heading}</h2>")
    end = html.find("<h2", start)
    return unescape(html[start : end if end > 0 else len(html)])


def _indexes_after(page: Any, heading: Any, count: int) -> list[int]:
    """Positions, among all item cards, of the first `count` cards under `heading`."""
    cards = page.locator("article.item")
    titles = cards.evaluate_all("cards => cards.map(c => c.getBoundingClientRect().top)")
    below = heading.evaluate("h => h.getBoundingClientRect().top")
    return [n for n, top in enumerate(titles) if top > below][:count]


def test_the_dark_view_shows_the_emails_dark_mode(page: Any, server: PreviewServer) -> None:
    colours = {}
    for view in ("desktop", "dark"):
        page.goto(f"{server.url}/?view={view}")
        heading = page.frame_locator("iframe").locator("h1")
        colours[view] = heading.evaluate("h => getComputedStyle(h).color")
    assert colours["desktop"] == "rgb(31, 41, 51)"  # the theme's ink
    assert colours["dark"] == "rgb(232, 230, 227)"  # the theme's dark ink
    assert "@media all" not in email_html(server), "what is sent keeps its media query"
