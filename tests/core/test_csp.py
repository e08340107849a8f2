"""Content-Security-Policy on every page: a walk of the demo's staff and public pages (each
demo role follows every link it is shown), and a check of the templates' source."""

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from core.demo import DEMO_STAFF
from core.models import Property
from core.terminals import COOKIE
from pos.models import Terminal
from tests.factories.screens import terminal_cookie

ROOT = Path(settings.BASE_DIR)
MAX_PAGES_PER_ROLE = 80
# links the walk does not follow: they end the session or only download a file
SKIP = re.compile(r"/logout/|\.(pdf|csv|txt|pem|zip|ics)(\?|$)|/export/")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def directives(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    parts = (p.strip().split(" ", 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_strict(path: str, response, framable_by: str = "'none'") -> None:
    policy = directives(response)
    assert policy, f"{path}: no Content-Security-Policy header"
    assert policy["default-src"] == "'self'", (path, policy)
    assert policy["script-src"] == "'self'", (path, policy)
    assert policy["style-src"] == "'self'", (path, policy)
    assert policy["object-src"] == "'none'", (path, policy)
    assert policy["frame-ancestors"] == framable_by, (path, policy)
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, (path, header)
    if response.headers.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
        assert not HANDLER.search(html), (path, HANDLER.search(html).group(0))
        assert not STYLE_ATTR.search(html), (path, STYLE_ATTR.search(html).group(0))


def walk(client: Client, starts: list[str], limit: int = MAX_PAGES_PER_ROLE) -> dict[str, object]:
    """GET every same-site link reachable from `starts` (each path once, at most `limit`)."""
    seen: dict[str, object] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or SKIP.search(url):
            continue
        response = client.get(url)
        seen[path] = response
        if response.status_code in (301, 302):
            queue.append(response.headers["Location"])
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"#]+)"', response.content.decode()):
            link = urlsplit(urljoin(url, href.replace("&amp;", "&")))
            if link.netloc in ("", "testserver") and not link.path.startswith("/static/"):
                queue.append(link.path + (f"?{link.query}" if link.query else ""))
    return seen


@pytest.mark.django_db
def test_every_page_of_the_demo_carries_the_strict_policy():
    # given the demo, each of its staff signed in (the POS roles on a bound till)
    call_command("seed_demo", verbosity=0)
    pins = Property.objects.get(slug="les-pins")
    till = Terminal.objects.filter(property=pins).select_related("outlet").first()
    walked: dict[str, object] = {}
    for username, *_ in DEMO_STAFF:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        client.cookies[COOKIE] = terminal_cookie(till)
        # when they follow every link they are shown
        pages = walk(client, ["/"])
        assert "/" in pages and len(pages) >= 2, (username, list(pages))
        # then every answer has the strict policy, and no HTML carries inline code or style
        for path, response in pages.items():
            assert response.status_code < 500, (username, path)
            if not path.startswith("/book/"):
                assert_strict(path, response)
        walked.update(pages)
    # the staff screens of every kind were walked
    for screen in ("/pos/counter/", "/pos/tables/", "/frontdesk/", "/billing/accounting/",
                   "/staff/", "/channels/connections/", "/admin/", "/api/docs/"):  # fmt: skip
        assert any(p.startswith(screen) for p in walked), screen

    # public pages: sign-in, the admin's, health, a missing page, the booking engine
    anonymous = Client()
    for path in ("/login/", "/admin/login/", "/healthz", "/livez", "/no-such-page/"):
        assert_strict(path, anonymous.get(path))
    engine = walk(anonymous, [f"/book/{pins.slug}/?lang=en"], limit=10)
    search = anonymous.get(
        f"/book/{pins.slug}/",
        {
            "arrival": pins.business_date().isoformat(),
            "adults": 2,
            "lang": "en",
            "departure": (pins.business_date().replace(day=1)).isoformat(),
        },  # fmt: skip
    )
    for path, response in {**engine, "search": search}.items():
        assert response.status_code == 200, path
        assert_strict(path, response, framable_by="'self'")
        assert "X-Frame-Options" not in response.headers


def test_api_docs_allow_data_images_only_there(admin_client):
    docs = admin_client.get("/api/docs/")
    assert docs.status_code == 200
    assert directives(docs)["img-src"] == "'self' data:"
    assert_strict("/api/docs/", docs)
    # its initialising script is a file of its own, not inline
    script = admin_client.get("/api/docs/?script=")
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert directives(admin_client.get("/admin/"))["img-src"] == "'self'"


def test_staff_screens_still_send_x_frame_options_deny(admin_client):
    response = admin_client.get("/admin/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert directives(response)["frame-ancestors"] == "'none'"


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def template_files():
    for folder in TEMPLATE_DIRS:
        if ".venv" in folder.parts:
            continue
        for path in folder.rglob("*.html"):
            if "pdf" not in path.parts:  # WeasyPrint's invoice, never served as a page
                yield path


def test_no_template_has_inline_script_handler_or_style():
    """What the policy would block, caught in the source before a browser does."""
    offences = []
    for path in template_files():
        text = path.read_text()
        for name, pattern in (
            ("inline script", INLINE_SCRIPT),
            ("event handler", HANDLER),
            ("style attribute", STYLE_ATTR),
            ("hx-on (eval)", re.compile(r"\shx-on[:-]", re.I)),
            ("<style> element", re.compile(r"<style[\s>]", re.I)),
            ("javascript: URL", re.compile(r"javascript:", re.I)),
        ):
            for match in pattern.finditer(text):
                offences.append(f"{path.relative_to(ROOT)}: {name}: {match.group(0)[:80]}")
    assert offences == []
    assert len(list(template_files())) > 30  # the walk above saw the real folders


def test_a_form_refused_by_the_csrf_check_gets_a_translated_page_under_the_policy(db):
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["django_language"] = "en"
    response = browser.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "This form has expired: reload the page and try again." in response.content.decode()
    assert_strict("/login/ (CSRF refused)", response)
    api = browser.post("/login/", {}, headers={"Accept": "application/json"})
    assert api.status_code == 403 and api.json()["code"] == "csrf_failed"


def test_the_api_answers_json_to_a_browser_too(client, manager):
    # DRF's browsable API (inline styles) is off: a staff browser reading the API gets JSON
    client.force_login(manager)
    response = client.get("/api/v1/me", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert_strict("/api/v1/me", response)
