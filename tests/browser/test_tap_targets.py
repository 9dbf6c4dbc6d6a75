"""Every rider page at 360×740: each visible thing a thumb can tap is at least 44×44 CSS px.

Checked: links, buttons, inputs, selects, text areas, <summary>, and elements with role=button. A checkbox
or radio button counts by its label (the label is what the thumb hits; a tiny box inside a 44 px label is
fine). Exempt:
- an inline link inside running text (display: inline, in a paragraph or list item with words of its own):
  it may be narrower than 44 px but not shorter — its box with padding must still be 44 px high and
  24 px wide (portal.css pads such links vertically, so the hit area grows without changing line spacing);
- Leaflet map markers and clusters: where they sit is the information; the list next to the map offers
  each of them as a full-size row.
"""

import pytest

from tests.browser.rider_pages import PAGE_NAMES, rider_world, visit_every_page

pytestmark = pytest.mark.django_db(transaction=True)

MIN = 44
INLINE_MIN_WIDTH = 24

SMALL_TARGETS_JS = """([min, inlineMin]) => {
  const shown = (el) => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.type && el.tagName === 'INPUT') s += '[type=' + el.type + ']';
    const cls = (el.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean).slice(0, 2);
    if (cls.length) s += '.' + cls.join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 20);
    return text ? s + ' "' + text + '"' : s;
  };
  const inlineInText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement && el.parentElement.closest('p, li, dd, td, .leaflet-control-attribution');
    if (!block) return false;
    const own = (block.innerText || '').replace(el.innerText || '', '').replace(/[\\s|·•,，。:：()（）-]/g, '');
    return own.length > 0;
  };
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('.leaflet-marker-pane, .leaflet-marker-icon, .marker-cluster')) continue;
    let target = el;
    if (el.type === 'checkbox' || el.type === 'radio' || el.type === 'file') {
      const label = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (label && shown(label)) target = label;
    }
    if (!shown(target)) continue;
    const r = target.getBoundingClientRect();
    const inline = inlineInText(el);
    const minWidth = inline ? inlineMin : min;
    if (r.width + 0.5 < minWidth || r.height + 0.5 < min) {
      small.push(name(target) + (target !== el ? ' (label of ' + name(el) + ')' : '')
        + (inline ? ' [inline]' : '') + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
    }
  }
  return small;
}"""


def small_targets(page) -> list[str]:
    return page.evaluate(SMALL_TARGETS_JS, [MIN, INLINE_MIN_WIDTH])


def test_every_tap_target_on_every_rider_page_is_44_px(
    streets, rider, rider_b, phone_page, login_rider, live_server, shot
):
    pages = rider_world(streets, rider, rider_b)

    def check(page, name: str) -> list[str]:
        shot(page, name)
        return small_targets(page)

    phones = {"rider": rider.phone, "rider_b": rider_b.phone}
    found = visit_every_page(phone_page, live_server.url, pages, login_rider, phones, check)
    assert len(found) == len(PAGE_NAMES)
    failing = {name: small for name, small in found.items() if small}
    report = "\n".join(f"{name} ({pages[name][0]}):\n  " + "\n  ".join(small) for name, small in failing.items())
    assert not failing, f"tap targets under {MIN}×{MIN} px:\n{report}"


def test_the_header_login_link_was_the_32_by_19_px_target(live_server, phone_page, db):
    """The defect of issue 15: the header's 登录 link was 32×19 px."""
    page = phone_page
    page.goto(f"{live_server.url}/")
    box = page.locator("header").get_by_role("link", name="登录", exact=True).bounding_box()
    assert box is not None and box["width"] >= MIN and box["height"] >= MIN
