"""Every string the pages mark for translation has its Chinese, and the compiled catalogs match.

The catalogs are committed (`make translations` refreshes them), so these tests are what
stop a new English sentence from reaching a zh-CN page untranslated.
"""

import gettext
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [ROOT / "shared/web/pages", ROOT / "services/cases"]
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
}


def marked(directory: Path) -> set[str]:
    found = extract_from_dir(str(directory), METHODS, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, *_ in found}


def po(directory: Path):
    with open(directory / "translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


@pytest.mark.parametrize("directory", CATALOGS, ids=lambda d: d.name)
def test_every_marked_string_has_a_chinese_translation(directory):
    catalog = po(directory)
    untranslated = sorted(
        msgid
        for msgid in marked(directory)
        if msgid not in catalog or not catalog[msgid].string or catalog[msgid].fuzzy
    )
    assert not untranslated, f"run `make translations` and translate: {untranslated[:20]}"


@pytest.mark.parametrize("directory", CATALOGS, ids=lambda d: d.name)
def test_the_compiled_catalog_is_the_po_file(directory):
    compiled = directory / "translations/zh_Hans_CN/LC_MESSAGES/messages.mo"
    with open(compiled, "rb") as handle:
        loaded = gettext.GNUTranslations(handle)
    for message in po(directory):
        if message.id and message.string and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else message.id[0]
            expected = message.string if isinstance(message.string, str) else message.string[0]
            assert loaded.gettext(key) == expected, f"stale {compiled}: run `make translations`"
