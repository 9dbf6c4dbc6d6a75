"""English for real: every string of the portal has an English translation, the compiled catalogs match
the .po files, and no page script of ours carries Chinese outside gettext().

The source language is Chinese (zh-hans): msgids are the Chinese words themselves, so zh-hans needs no
catalog and English lives in locale/en/LC_MESSAGES/{django,djangojs}.po (`make messages` gathers and
compiles them). A string added to a template, a Python file or a script without an English translation
fails here, whether or not `make messages` was run: the test gathers the strings of the sources itself.
"""

import gettext
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")
# The folders that are not ours or not shipped (the same list as `make messages`).
NOT_OURS = {".venv", "var", "node_modules", "vendor", "tests", "locale", ".git", "__pycache__"}
# Han characters, and Chinese punctuation (full-width ：，。、（）… and the CJK symbols block).
HAN = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%\(\w+\)\.\d+f")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    where: str = ""

    def label(self) -> str:
        ctx = f" [{self.msgctxt}]" if self.msgctxt else ""
        return f"{self.msgid!r}{ctx} ({self.where or 'no location'})"


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (not the header, not obsolete `#~` ones), enough for these checks."""
    entries: list[Entry] = []
    entry = Entry()
    key: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, key
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, key = Entry(), None

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~") or not line.strip():
            if key is not None and key[0] == "msgstr":
                finish()
            continue
        if key is not None and key[0] == "msgstr" and line.startswith(("#", "msgid", "msgctxt")):
            finish()  # a new entry begins
        if line.startswith("#,"):
            entry.flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#:"):
            entry.where = (entry.where + " " + line[2:].strip()).strip()
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key is not None:
            value = _unquote(line)
            if key[0] == "msgstr":
                entry.msgstr[key[1]] += value
            else:
                setattr(entry, key[0], (getattr(entry, key[0]) or "") + value)
        else:
            word, _, rest = line.partition(" ")
            plural = re.fullmatch(r"msgstr\[(\d+)\]", word)
            if plural or word == "msgstr":
                key = ("msgstr", int(plural[1]) if plural else 0)
                entry.msgstr[key[1]] = _unquote(rest)
            elif word in ("msgid", "msgid_plural", "msgctxt"):
                key = (word, 0)
                setattr(entry, word, _unquote(rest))
            else:
                raise AssertionError(f"{path}: cannot read the line {line!r}")
    finish()
    return [e for e in entries if e.msgid]  # the header has an empty msgid


def problems(entries: list[Entry]) -> list[str]:
    """Untranslated, fuzzy, wrong plural forms or placeholders that differ from the Chinese."""
    found = []
    for e in entries:
        forms = [0, 1] if e.msgid_plural is not None else [0]
        if "fuzzy" in e.flags:
            found.append(f"fuzzy (check and remove the flag): {e.label()}")
        elif sorted(e.msgstr) != forms or not all(e.msgstr[i] for i in forms):
            found.append(f"untranslated: {e.label()}")
        else:
            wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
            for i in forms:
                got = set(PLACEHOLDER.findall(e.msgstr[i]))
                # An English singular may spell out the number ("one hour"); nothing else may go missing.
                if got - wanted or (wanted - got and not (i == 0 and e.msgid_plural)):
                    found.append(f"placeholders {sorted(got)} ≠ {sorted(wanted)}: {e.label()}")
    return found


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_english_entry_is_translated(domain):
    po = LOCALE / "en" / "LC_MESSAGES" / f"{domain}.po"
    entries = read_po(po)
    assert len(entries) > 20, f"{po} looks empty"
    found = problems(entries)
    assert not found, f"{po}: translate these (then `make messages`):\n" + "\n".join(found)


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalog_matches_the_po_file(domain):
    """The .mo that Django reads is compiled from the .po as it is now (a translation edited without
    `make messages` would never show)."""
    folder = LOCALE / "en" / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as fh:
        compiled = {k: v for k, v in gettext.GNUTranslations(fh)._catalog.items() if k != ""}  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for e in read_po(folder / f"{domain}.po"):
        if "fuzzy" in e.flags:
            continue
        msgid = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if e.msgid_plural is None:
            if e.msgstr.get(0):
                expected[msgid] = e.msgstr[0]
        else:
            expected.update({(msgid, i): text for i, text in e.msgstr.items() if text})
    stale = sorted(str(k) for k in expected.keys() ^ compiled.keys()) + sorted(
        str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k]
    )
    assert not stale, f"{domain}.mo is stale, run `make messages`; differs on: " + ", ".join(stale[:20])


def _copy_sources(to: Path) -> None:
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_OURS and not d.startswith(".")]
        for name in files:
            if name.endswith((".py", ".html", ".txt", ".js")):
                target = to / Path(folder).relative_to(ROOT) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(folder) / name, target)


def test_every_string_of_the_sources_has_an_english_translation(tmp_path, settings, monkeypatch):
    """Gathers the strings of a copy of the sources into a copy of the catalogs, like `make messages`
    does, and finds each one translated: a new {% translate %}, gettext() or JS gettext() without English
    fails even when nobody ran makemessages."""
    _copy_sources(tmp_path / "src")
    catalogs = tmp_path / "src" / "locale" / "en" / "LC_MESSAGES"
    catalogs.mkdir(parents=True)
    for domain in DOMAINS:
        shutil.copyfile(LOCALE / "en" / "LC_MESSAGES" / f"{domain}.po", catalogs / f"{domain}.po")
    settings.LOCALE_PATHS = [tmp_path / "src" / "locale"]
    monkeypatch.chdir(tmp_path / "src")
    found = []
    for domain in DOMAINS:
        call_command(
            "makemessages",
            locale=["en"],
            domain=domain,
            no_obsolete=True,
            add_location="file",
            ignore_patterns=sorted(NOT_OURS),
            verbosity=0,
        )
        found += [f"{domain}: {p}" for p in problems(read_po(catalogs / f"{domain}.po"))]
    assert not found, "Strings without English — run `make messages` and translate them:\n" + "\n".join(found)


def _code_without_comments(source: str) -> str:
    """JavaScript with its // and /* */ comments blanked (newlines kept for line numbers); strings and
    template literals are skipped over so `"https://…"` is not taken for a comment."""
    out, i, n = [], 0, len(source)
    while i < n:
        ch, nxt = source[i], source[i + 1 : i + 2]
        if ch == "/" and nxt == "/":
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif ch == "/" and nxt == "*":
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * source.count("\n", i, end))
            i = end
        elif ch in "'\"`":
            j = i + 1
            while j < n and source[j] != ch:
                j += 2 if source[j] == "\\" else 1
            out.append(source[i : j + 1])
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# The strings handed to Django's JavaScript catalog: gettext("…"), ngettext("…", "…", n), pgettext(…).
STRING = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
CATALOG_CALL = re.compile(rf"\b(?:n?p?gettext|gettext_noop)\(\s*{STRING}(?:\s*,\s*{STRING})*")


def our_scripts() -> list[Path]:
    scripts = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_OURS and not d.startswith(".")]
        scripts += [Path(folder) / name for name in files if name.endswith((".js", ".mjs"))]
    return sorted(scripts)


def test_our_scripts_have_no_chinese_outside_gettext():
    scripts = our_scripts()
    assert any(p.name == "submit.js" for p in scripts), "the page scripts were not found"
    offenders = []
    for path in scripts:
        code = CATALOG_CALL.sub("gettext()", _code_without_comments(path.read_text(encoding="utf-8")))
        for number, line in enumerate(code.splitlines(), 1):
            if HAN.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, (
        "Chinese written into page scripts. Call gettext()/ngettext()/pgettext() by that name (an alias such as "
        "t() is never gathered by makemessages), interpolate() the values, then `make messages`:\n"
        + "\n".join(offenders)
    )


def test_the_comment_stripper_keeps_strings_and_drops_comments():
    code = 'a = "https://x"; // 注释\n/* 多行\n注释 */ b = gettext("提交"); c = "上报";'
    stripped = CATALOG_CALL.sub("gettext()", _code_without_comments(code))
    assert stripped.count("\n") == 2
    assert "https://x" in stripped and "注释" not in stripped and "提交" not in stripped
    assert HAN.findall(stripped) == ["上", "报"]
    assert HAN.search("a.join('、')") and not HAN.search('"Submitting… · 3 km – 5 km"')


def test_a_rider_who_picks_english_gets_english_pages_and_scripts():
    """set_language (what the site's language cookie comes from) switches the page and the catalog of
    the page scripts; Chinese, the source language, needs no catalog."""
    client = Client()
    answer = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert answer.status_code == 302
    assert client.cookies["django_language"].value == "en"
    catalog = client.get("/jsi18n/?l=en").content.decode()
    assert '"Submitting\\u2026"' in catalog or '"Submitting…"' in catalog
    assert "%(n)s minutes ago" in catalog

    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get("/jsi18n/?l=zh-hans").content.decode()
    assert "Submitting" not in chinese
