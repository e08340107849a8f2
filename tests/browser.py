"""What every browser test shares: Chromium's flags and the Content-Security-Policy watch.

`watch_csp(context)` makes a Playwright browser context record every CSP violation of its
pages and frames (the `securitypolicyviolation` event, and Chromium's console messages about
the policy, which also cover a refused frame); `assert_no_csp_violation(watch)` fails the test
naming them. Each browser fixture of the suite uses both, so a screen that brings back an
inline script, handler or style fails its browser test. `signed_in_pages` opens pages as a
signed-in user (and a paired terminal) with both; `guest_page` opens one as a guest (no
sign-in, no staff cookie) and `fits` asserts that nothing pushes a page sideways.
"""

from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# a guest's phone (and a runner's): the narrowest screen the suite measures
PHONE = (390, 844)

PREFIX = "CSP violation:"
# runs in every page and frame of the context before the page's own scripts
LISTENER = (
    "document.addEventListener('securitypolicyviolation', function (e) {"
    f"  console.error('{PREFIX} ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')"
    "    + ' in ' + e.documentURI + ' (' + (e.sourceFile || '') + ':' + e.lineNumber + ')'"
    "    + (e.sample ? ' ' + e.sample : ''));"
    "});"
)


def watch_csp(context) -> list[str]:
    """Record the CSP violations of `context` (a Playwright BrowserContext) in the list returned."""
    violations: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if text.startswith(PREFIX) or "Content Security Policy" in text:
            violations.append(f"{text} [{message.page.url if message.page else ''}]")

    context.add_init_script(LISTENER)
    context.on("console", on_console)
    return violations


def assert_no_csp_violation(violations: list[str]) -> None:
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@contextmanager
def signed_in_pages(browser, base_url: str, *, timeout: int = 20000) -> Iterator:
    """Yields make(user, terminal=None, size=(1024, 900)) -> a new page signed in as `user` (a
    session made by Django's test client), in English, on `terminal` when given (its cookie,
    as a paired tablet has); every page's CSP violations fail the test when the block ends."""
    from django.conf import settings
    from django.test import Client

    from core.terminals import COOKIE
    from tests.factories.screens import terminal_cookie

    contexts, watches = [], []

    def make(user, terminal=None, size=(1024, 900)):
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        watches.append(watch_csp(context))
        cookies = [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            },
            {"name": "django_language", "value": "en", "url": base_url},
        ]
        if terminal is not None:
            cookies.append({"name": COOKIE, "value": terminal_cookie(terminal), "url": base_url})
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(timeout)
        return page

    yield make
    for context in contexts:
        context.close()
    assert_no_csp_violation([v for watch in watches for v in watch])


def fits(page, width: int | None = None) -> None:
    """Nothing pushes `page` sideways (a guest never scrolls left and right): the document is
    no wider than `width`, the viewport's by default."""
    width = width or page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide on a {width} px screen"


@contextmanager
def guest_page(browser, size: tuple[int, int] = PHONE, *, timeout: int = 20000) -> Iterator:
    """A page of a new context as a guest has it (no sign-in, no staff cookie), `size` wide;
    its CSP violations fail the test when the block ends."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(timeout)
    try:
        yield page
    finally:
        context.close()
    assert_no_csp_violation(violations)


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium (never a downloaded one) through Playwright, closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page(size: tuple[int, int] = (1000, 1400)) -> Iterator[tuple]:
    """(page, violations): one page of a new Chromium, its CSP violations recorded in the list
    (the caller asserts on them: `assert_no_csp_violation`)."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        violations = watch_csp(context)
        yield context.new_page(), violations
