"""axe-core on every rider page, in Chromium at 360×740: no serious or critical violations.

axe-core is vendored for the tests only (tests/browser/vendor/axe-core/, from the npm registry; see its
VERSION). It is injected as an init script, which the page's Content-Security-Policy does not apply to, so
the pages are audited under their real CSP."""

from pathlib import Path

import pytest

from tests.browser.rider_pages import PAGE_NAMES, rider_world, visit_every_page

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}

RUN_AXE_JS = """async () => {
  const results = await axe.run(document, { resultTypes: ['violations'] });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => {
      const d = (n.any[0] || {}).data || {};
      return n.target.join(' ') + (d.contrastRatio ? ` [${d.fgColor} on ${d.bgColor}: ${d.contrastRatio}]` : '');
    }),
  }));
}"""


def axe_violations(page) -> list[dict]:
    return [v for v in page.evaluate(RUN_AXE_JS) if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"  {v['impact']} {v['id']} ({v['help']}): {', '.join(v['targets'])}" for v in violations)


def test_no_serious_accessibility_violation_on_any_rider_page(
    streets, rider, rider_b, phone_page, login_rider, live_server
):
    pages = rider_world(streets, rider, rider_b)
    phone_page.add_init_script(path=str(AXE))
    phones = {"rider": rider.phone, "rider_b": rider_b.phone}
    found = visit_every_page(
        phone_page, live_server.url, pages, login_rider, phones, lambda page, _: axe_violations(page)
    )
    assert len(found) == len(PAGE_NAMES)
    failing = {name: v for name, v in found.items() if v}
    report = "\n".join(f"{name} ({pages[name][0]}):\n{describe(v)}" for name, v in failing.items())
    assert not failing, f"serious or critical axe-core violations:\n{report}"


def test_axe_finds_a_violation_when_there_is_one(live_server, phone_page, db):
    """The audit itself runs under the page's CSP: pale grey text on the page is reported."""
    page = phone_page
    page.add_init_script(path=str(AXE))
    page.goto(f"{live_server.url}/accounts/login/")
    assert axe_violations(page) == []
    page.evaluate("() => { document.querySelector('h1').style.color = '#d0d0d0'; }")
    assert "color-contrast" in {v["id"] for v in axe_violations(page)}
