"""Search terms of a catalogue and of a query (pure: no SQL)."""

from __future__ import annotations

import pytest

from node.store.search_terms import (
    DESCRIPTION,
    DESCRIPTION_TERMS,
    KEYWORDS,
    MAX_QUERY_TERMS,
    MAX_TERM_LENGTH,
    TITLE,
    QueryError,
    Word,
    query_terms,
    query_words,
    search_terms,
    weighted_terms,
)
from onelist.chain.samples import SAMPLE_DESCRIPTION


def matches(title: str, q: str) -> bool:
    """Whether the query finds a listing with this title, as the search decides it."""
    terms = search_terms(title, None, None, None)
    return all(set(word.parts) <= terms for word in query_words(q))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            ("衡阳市交通出行数据", None, None, None),
            {"衡阳", "阳市", "市交", "交通", "通出", "出行", "行数", "数据", "衡阳市"},
        ),
        ((None, None, ["交通", "OD"], "交通运输"), {"交通", "od", "运输", "通运", "交通运输"}),
        (("ＯＤ数据 2024版", None, None, None), {"od", "数据", "2024"}),
        (("交", None, ["通"], "a"), set()),
        ((7, ["描述"], [3, None, "出行"], {"x": 1}), {"出行"}),
        (("数据", "数据产品说明", None, None), {"数据", "产品", "说明"}),
        (("x" * 33 + " ok", None, None, None), {"ok"}),
    ],
    ids=[
        "a title gives every bigram and jieba's words",
        "keywords and the category, ASCII words lower-cased",
        "full-width letters become ASCII, digits are words",
        "single characters are no terms",
        "fields that are not text are skipped",
        "a description gives jieba's words only",
        "a word longer than a term can be is dropped",
    ],
)
def test_search_terms(fields: tuple[object, object, object, object], expected: set[str]) -> None:
    assert search_terms(*fields) == expected  # type: ignore[arg-type]


def test_each_term_has_the_weight_of_its_best_field() -> None:
    weighted = weighted_terms("交通数据", "城市交通规划与客流预测", ["规划", "交通"], "交通运输")
    assert weighted["交通"] == TITLE  # also a keyword, the category and the description
    assert weighted["规划"] == KEYWORDS  # also the description
    assert weighted["运输"] == KEYWORDS  # the category counts as a keyword
    assert weighted["城市"] == weighted["城市交通"] == weighted["市交"] == DESCRIPTION
    assert "流预" not in weighted  # across two words of the description: no term


def test_a_description_gives_about_its_cap_of_terms_each_word_with_its_bigrams() -> None:
    terms = weighted_terms(None, SAMPLE_DESCRIPTION * 3, None, None)
    assert DESCRIPTION_TERMS <= len(terms) < DESCRIPTION_TERMS + 8
    assert {"轨道交通", "轨道", "交通", "道交"} <= set(terms)  # a word, and its bigrams
    assert all(len(term) <= MAX_TERM_LENGTH for term in terms)
    for term in terms:  # every word kept is found by its bigrams
        if not term.isascii():
            assert {term[i : i + 2] for i in range(len(term) - 1)} <= set(terms)


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("交通", (Word(("交通",)),)),
        ("交通出行", (Word(("交通", "通出", "出行")),)),
        ("衡阳 OD", (Word(("衡阳",)), Word(("od",)))),
        ("数 据 交通 交通", (Word(("交通",)),)),
        ("数据数据数", (Word(("数据", "据数")),)),
        ("Ｏｄ，交通。", (Word(("od",)), Word(("交通",)))),
        ("通" * 40, (Word(("通通",)),)),
    ],
    ids=[
        "two characters are one term",
        "a longer word is its bigrams",
        "ASCII words are lower-cased",
        "single characters are skipped, repeated words kept once",
        "repeated bigrams are kept once",
        "full-width letters and punctuation",
        "a long run of one character is one bigram",
    ],
)
def test_query_words(q: str, words: tuple[Word, ...]) -> None:
    assert query_words(q) == words


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "no word"),
        ("交 通 a", "no word"),
        ("，。！", "no word"),
        (" ".join(f"w{i}" for i in range(9)), "9 words"),
        ("衡阳市交通出行数据平台服务接口与模型训练样本集合管理", "terms"),
    ],
    ids=[
        "an empty query",
        "single characters only",
        "punctuation only",
        "more than eight words",
        "more terms than a query may have",
    ],
)
def test_queries_that_cannot_be_searched(q: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        query_words(q)


def test_query_terms_lists_each_term_once() -> None:
    words = query_words("交通出行 交通")
    assert query_terms(words) == ("交通", "通出", "出行")
    assert len(query_terms(query_words("交" * 25))) <= MAX_QUERY_TERMS


@pytest.mark.parametrize(
    "title", ["衡阳市交通出行数据", "城市交通出行 OD 数据（网格聚合）", "长沙市医疗机构统计数据"]
)
def test_every_piece_of_a_title_finds_it(title: str) -> None:
    """Any run of two or more characters of a title, as a query, finds the title."""
    cjk = [run for run in title.replace("（", " ").replace("）", " ").split() if run]
    for run in cjk:
        for start in range(len(run)):
            for end in range(start + 2, len(run) + 1):
                assert matches(title, run[start:end]), run[start:end]


@pytest.mark.parametrize(
    ("title", "q", "found"),
    [
        ("衡阳市交通出行数据", "交通", True),
        ("衡阳市交通出行数据", "衡阳 出行", True),
        ("衡阳市交通出行数据", "交通 医疗", False),
        ("衡阳市交通出行数据", "通行", False),
    ],
    ids=[
        "交通 finds 衡阳市交通出行数据",
        "two words of the title",
        "a word the title lacks",
        "characters of the title that are not next to each other",
    ],
)
def test_a_query_finds_a_title(title: str, q: str, found: bool) -> None:
    assert matches(title, q) is found
