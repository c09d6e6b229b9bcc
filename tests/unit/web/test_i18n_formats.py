"""The pages' words and numbers: language choice, messages in both languages, money and time."""

from __future__ import annotations

import pytest

from node.web import formats, i18n
from onelist.codes import DeliveryMode, Grade, PersonalInfo, ProductForm, Purpose


@pytest.mark.parametrize(
    ("asked", "remembered", "expected"),
    [
        (None, None, "zh"),
        ("en", None, "en"),
        (None, "en", "en"),
        ("zh", "en", "zh"),
        ("fr", "en", "en"),
        ("fr", "de", "zh"),
        ("", None, "zh"),
    ],
    ids=[
        "nothing asked is Chinese",
        "asking for English gives English",
        "a remembered English stays",
        "asking beats remembering",
        "an unknown language is ignored for the remembered one",
        "unknown everywhere is Chinese",
        "an empty choice is Chinese",
    ],
)
def test_the_language_is_asked_then_remembered_then_chinese(
    asked: str | None, remembered: str | None, expected: str
) -> None:
    assert i18n.choose_language(asked, remembered) == expected


def test_every_message_exists_in_both_languages_and_is_not_empty() -> None:
    assert set(i18n.MESSAGES["zh"]) == set(i18n.MESSAGES["en"])
    for lang in i18n.LANGUAGES:
        assert all(i18n.MESSAGES[lang].values()), lang


@pytest.mark.parametrize(
    ("group", "names"),
    [
        ("grade", [g.name for g in Grade]),
        ("delivery", [str(m.name) for m in DeliveryMode]),
        ("form", [f.name for f in ProductForm]),
        ("pi", [p.name for p in PersonalInfo]),
        ("purpose", [str(p.name) for p in Purpose]),
    ],
)
def test_every_code_the_api_names_has_a_label(group: str, names: list[str]) -> None:
    for name in names:
        assert f"{group}.{name}" in i18n.MESSAGES["zh"], name


@pytest.mark.parametrize(
    ("lang", "key", "values", "expected"),
    [
        ("zh", "nav.catalogue", {}, "目录"),
        ("en", "nav.catalogue", {}, "Catalogue"),
        ("en", "listing.events.shown", {"shown": 200, "total": 250}, "latest 200 of 250"),
        ("zh", "no.such.key", {}, "no.such.key"),
        ("xx", "nav.catalogue", {}, "目录"),
    ],
    ids=["Chinese", "English", "with values", "a missing key shows itself", "unknown language"],
)
def test_translate(lang: str, key: str, values: dict[str, object], expected: str) -> None:
    assert i18n.translate(lang, key, **values) == expected


def test_a_label_falls_back_to_the_value_itself() -> None:
    assert i18n.label("zh", "grade", "important") == "重要数据"
    assert i18n.label("en", "grade", "unknown_7") == "unknown_7"
    assert i18n.label("zh", "price_model", "按年订阅") == "按年订阅"


def test_another_area_adds_messages_but_never_redefines_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On copies: the catalogue the other tests read stays as the modules made it.
    monkeypatch.setattr(i18n, "_PAIRS", dict(i18n._PAIRS))
    monkeypatch.setattr(i18n, "MESSAGES", {k: dict(v) for k, v in i18n.MESSAGES.items()})
    i18n.add_messages({"test.only.greeting": ("你好", "Hello")})
    assert i18n.translator("en")("test.only.greeting") == "Hello"
    with pytest.raises(ValueError, match=r"nav\.catalogue"):
        i18n.add_messages({"nav.catalogue": ("x", "y")})


@pytest.mark.parametrize(
    ("fen", "yuan", "money"),
    [
        (0, "0", "¥0"),
        (5_000_000, "50,000", "¥50,000"),
        (123_456_789, "1,234,567.89", "¥1,234,567.89"),
        (150, "1.50", "¥1.50"),
        (7, "0.07", "¥0.07"),
        (-250, "-2.50", "¥-2.50"),
        (None, "", ""),
    ],
)
def test_fen_show_as_yuan(fen: int | None, yuan: str, money: str) -> None:
    assert formats.yuan(fen) == yuan
    assert formats.fen(fen) == money


def test_times_are_shanghai_times_whatever_the_servers_zone() -> None:
    assert formats.when(0) == "1970-01-01 08:00"
    assert formats.when(1_700_000_000, with_time=False) == "2023-11-15"
    assert formats.when(None) == ""


def test_a_long_hash_is_shortened_and_a_short_one_kept() -> None:
    long = "0x" + "ab" * 32
    assert formats.short_hash(long) == "0xabababab…abab"
    assert formats.short_hash("0x1234") == "0x1234"
