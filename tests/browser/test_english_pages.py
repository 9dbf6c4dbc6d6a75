"""Every rider page in English at 360×740: no Chinese left in what the rider sees.

The rider switches the language the way the site does it, by Django's set_language (POST /i18n/setlang/,
which sets the `django_language` cookie), then logs in with the English SMS and visits each page of
tests/browser/rider_pages.py once its scripts have run (network idle). The page's visible text
(document.body.innerText, plus the words a person meets outside it: the title, placeholders, button
values, aria-labels, alt and title attributes) must hold no Han character and no Chinese punctuation
(a full-width "：" or "、" left outside {% translate %} reads as Chinese on an English page too).

What may stay Chinese — user data, one rule: text that comes from the database. Names of streets,
stations, categories, housing projects and room types, activities, teams, riders' names, addresses and
descriptions are typed by people (or loaded as the district's reference data) and are shown as written.
The test reads every text column of the test database's rows of our apps and removes those values from
the page's text before looking; an element marked `lang="zh"` or `data-user-content` is left out too.
Everything else on the page is interface and must come from the English catalogs
(locale/en/LC_MESSAGES/django.po for templates and Python, djangojs.po for the page scripts).
"""

import re

import pytest
from django.apps import apps
from django.db import models
from playwright.sync_api import Page

from tests.browser.rider_pages import PAGE_NAMES, rider_world

pytestmark = pytest.mark.django_db(transaction=True)

# Han characters, and Chinese punctuation (full-width ：，。、（）… and the CJK symbols block).
HAN = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
OUR_APPS = ("accounts", "jurisdictions", "stations", "housing", "reports", "partybranch", "analytics")

# What a person reads on the page; elements marked as user data are taken out by their own text.
SEEN_TEXT_JS = """() => {
  const marked = [...document.querySelectorAll('[lang^="zh"], [data-user-content]')];
  const attrs = [...document.querySelectorAll(
      '[placeholder], input[type=submit][value], input[type=button][value], [aria-label], [alt], [title]')]
    .filter((el) => !marked.some((m) => m.contains(el)))
    .flatMap((el) => ['placeholder', 'aria-label', 'alt', 'title', 'value']
      .filter((a) => el.hasAttribute(a) && (a !== 'value' || el.type === 'submit' || el.type === 'button'))
      .map((a) => `[${a}] ${el.getAttribute(a)}`));
  return {
    text: document.body.innerText,
    attrs: [`[document.title] ${document.title}`, ...attrs],
    marked: marked.map((el) => el.innerText || el.textContent || ''),
  };
}"""


def database_words() -> list[str]:
    """Every Chinese text value stored in our apps' rows (user data), longest first."""
    words: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                words.update(v.strip() for v in row if isinstance(v, str) and HAN.search(v))
    return sorted(words, key=len, reverse=True)


def chinese_left(page: Page, data: list[str]) -> list[str]:
    seen = page.evaluate(SEEN_TEXT_JS)
    text = "\n".join([seen["text"], *seen["attrs"]])
    for part in sorted(seen["marked"], key=len, reverse=True):
        text = text.replace(part, " ")
    for word in data:
        text = text.replace(word, " ")
    return [line.strip() for line in text.splitlines() if HAN.search(line)]


def switch_to_english(page: Page, base: str) -> None:
    """Django's set_language, posted with the page's CSRF cookie as a language picker form would."""
    page.goto(f"{base}/accounts/login/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    answer = page.request.post(
        f"{base}/i18n/setlang/",
        form={"language": "en", "next": "/", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        max_redirects=0,
    )
    assert answer.status == 302, answer.text()[:300]
    assert any(c["name"] == "django_language" and c["value"] == "en" for c in page.context.cookies())


def log_in_in_english(page: Page, base: str, phone: str) -> None:
    from accounts.sms import read_sms_files

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_phone", phone)
    page.click("button[value=send]")
    page.wait_for_selector("#id_code")
    text = read_sms_files(phone)[-1]["text"]
    assert not HAN.search(text.replace("友好朝阳", "")), f"the login SMS is not in English: {text}"
    code = re.search(r"\d{6}", text)
    assert code, f"no code in the SMS: {text}"
    page.fill("#id_code", code[0])
    page.click("button[value=login]")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("who", ["anon", "rider", "rider_b"])
def test_the_rider_pages_in_english_show_no_chinese(who, streets, rider, rider_b, phone_page, live_server, shot):
    pages = rider_world(streets, rider, rider_b)
    data = database_words()
    page = phone_page
    base = live_server.url
    switch_to_english(page, base)
    if who != "anon":
        log_in_in_english(page, base, rider.phone if who == "rider" else rider_b.phone)

    found = []
    for name in PAGE_NAMES:
        path, owner = pages[name]
        if owner != who:
            continue
        page.goto(f"{base}{path}", wait_until="networkidle")
        page.wait_for_function("document.readyState === 'complete'")
        assert page.url.endswith(path), f"{name}: redirected to {page.url}"
        assert page.evaluate("document.documentElement.lang") == "en", f"{name}: not served in English"
        shot(page, name)
        found += [f"{name} ({path}): {line}" for line in chinese_left(page, data)]
    assert not found, "Chinese on English pages (not from the database):\n" + "\n".join(found)


def test_the_check_sees_the_chinese_of_a_chinese_page(streets, rider, phone_page, live_server):
    """Negative control: without the switch the same page is Chinese, and the check says so although the
    database's words are taken out."""
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/", wait_until="networkidle")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    left = chinese_left(page, database_words())
    assert any("短信验证码登录" in line for line in left), left
