"""The interactive API reference works in a real browser under the site's strict CSP
(issue 10, item 8: Swagger UI was blank, ReDoc showed an error): the operations render, no
CSP violation is reported and nothing is fetched from another origin."""

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def watched(page, live_server):
    """The page, with every CSP violation, console error and foreign request recorded."""
    seen = {"console": [], "foreign": [], "errors": []}
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda m: seen["console"].append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((live_server.url, "data:")) else seen["foreign"].append(r.url)
        ),
    )

    def clean():
        violations = page.evaluate("window.__violations")
        csp = [m for m in seen["console"] if "Content Security Policy" in m]
        assert violations == [] and csp == [], (violations, csp)
        assert seen["foreign"] == [], seen["foreign"]
        assert seen["errors"] == [], seen["errors"]

    page.clean = clean
    return page


def test_swagger_ui_renders_every_operation(watched):
    response = watched.goto("/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(watched.locator(".opblock").first).to_be_visible()
    expect(watched.get_by_text("List cases", exact=True)).to_be_visible()
    assert watched.locator(".opblock").count() >= 25
    watched.locator(".opblock-summary", has_text="List cases").first.click()
    expect(watched.get_by_text("updated_since", exact=True).first).to_be_visible()
    watched.clean()
    ARTIFACTS.mkdir(exist_ok=True)
    watched.screenshot(path=str(ARTIFACTS / "api-docs-swagger.png"))


def test_redoc_renders_every_operation(watched):
    response = watched.goto("/api/v1/redoc/")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    expect(watched.get_by_role("heading", name="Polku partner API")).to_be_visible()
    expect(watched.get_by_role("heading", name="List cases")).to_be_attached()
    assert watched.get_by_role("heading", level=2).count() >= 25
    # Styled: ReDoc's three-panel layout (its run-time styles reached the page).
    menu = watched.locator(".menu-content").bounding_box()
    assert menu and 200 <= menu["width"] <= 400, menu
    watched.clean()
    ARTIFACTS.mkdir(exist_ok=True)
    watched.screenshot(path=str(ARTIFACTS / "api-docs-redoc.png"))
