"""What every browser test shares: Chromium's flags and the Content-Security-Policy watch.

`watch_csp(context)` makes a Playwright browser context record every CSP violation of its
pages and frames (the `securitypolicyviolation` event, and Chromium's console messages about
the policy, which also cover a refused frame); `assert_no_csp_violation(watch)` fails the test
naming them. Each browser fixture of the suite uses both, so a screen that brings back an
inline script, handler or style fails its browser test.
"""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

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
