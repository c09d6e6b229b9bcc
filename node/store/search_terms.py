"""Search terms of a listing's public catalogue, and of a query: pure functions, no SQL.

Chinese has no spaces, so the index keeps *terms*: every CJK bigram (two-character run) of the
title, the keywords and the category, jieba's ``cut_for_search`` words of two characters or
more, and lower-cased ASCII words. The description, free prose, is cut by jieba only (a bigram
across two of its words would match nonsense): its words and the bigrams inside them, the
first :data:`DESCRIPTION_TERMS` or so.

A query is cut into words without jieba: a word of Chinese characters matches a listing when
every one of its bigrams is a term of the listing, so 交通 finds 衡阳市交通出行数据, and so
does 交通出行 (any run of a title, keyword or category, and any word jieba found in a
description, since the index holds every bigram inside those); an ASCII word matches itself.
Every word must match. Each term carries the weight of the best field it occurs in
(:data:`TITLE` > :data:`KEYWORDS` > :data:`DESCRIPTION`); relevance ranks listings by the
weakest field that still holds every word of the query.

jieba loads its dictionary once, on first use (about a second), with its logging silenced. Its
segmentation depends on its dictionary, so every node must run the same jieba version for
their indexes to be equal (``onelist node verify`` compares them).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

__all__ = [
    "DESCRIPTION",
    "DESCRIPTION_TERMS",
    "KEYWORDS",
    "MAX_QUERY_TERMS",
    "MAX_QUERY_WORDS",
    "MAX_TERM_LENGTH",
    "TITLE",
    "QueryError",
    "Word",
    "query_terms",
    "query_words",
    "search_terms",
    "weighted_terms",
]

#: Term weights: the best field a term occurs in. The category counts as a keyword.
TITLE, KEYWORDS, DESCRIPTION = 3, 2, 1
#: Most terms taken from a description (its first words).
DESCRIPTION_TERMS = 24
#: Longest term kept (the ``listing_terms.term`` column's length).
MAX_TERM_LENGTH = 32
#: Most words, and most terms, a query may have.
MAX_QUERY_WORDS = 8
MAX_QUERY_TERMS = 24

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"[{_CJK}]+|[a-z0-9]+")
_CJK_WORD = re.compile(f"[{_CJK}]+")
_ASCII_WORD = re.compile("[a-z0-9]+")

_jieba_lock = threading.Lock()
_jieba_tokenizer: jieba.Tokenizer | None = None


def _tokenizer() -> jieba.Tokenizer:
    """jieba's tokenizer, its dictionary loaded once (lazily: importing this module is cheap).

    Built under the lock and checked again there, so threads that ask at once build it
    exactly once (the later ones wait for the first); once built, no call takes the lock."""
    global _jieba_tokenizer
    tokenizer = _jieba_tokenizer
    if tokenizer is None:
        with _jieba_lock:
            tokenizer = _jieba_tokenizer
            if tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _jieba_tokenizer = tokenizer
    return tokenizer


def _normal(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> Iterator[str]:
    """The CJK runs and ASCII words of normalised text."""
    return (match.group() for match in _RUN.finditer(text))


def _bigrams(run: str) -> Iterator[str]:
    return (run[i : i + 2] for i in range(len(run) - 1))


def _is_cjk(token: str) -> bool:
    return _CJK_WORD.fullmatch(token) is not None


def _keep(term: str) -> bool:
    return 2 <= len(term) <= MAX_TERM_LENGTH


def _segmented(text: str) -> Iterator[str]:
    """jieba's search words of normalised text: CJK words of two characters or more, and ASCII
    words (jieba passes them through)."""
    for token in _tokenizer().cut_for_search(text, HMM=False):
        if _keep(token) and (_is_cjk(token) or _ASCII_WORD.fullmatch(token)):
            yield token


@functools.lru_cache(maxsize=4096)
def _field_terms(text: str) -> frozenset[str]:
    """Terms of a short field (title, keyword, category): every CJK bigram, jieba's words and
    the ASCII words."""
    normal = _normal(text)
    terms: set[str] = set()
    for run in _runs(normal):
        if _is_cjk(run):
            terms.update(_bigrams(run))
        elif _keep(run):
            terms.add(run)
    terms.update(_segmented(normal))
    return frozenset(terms)


@functools.lru_cache(maxsize=1024)
def _description_terms(text: str) -> frozenset[str]:
    """Terms of a description: jieba's words and the bigrams inside them, word by word until
    there are :data:`DESCRIPTION_TERMS` (a word's bigrams are never cut off, so each word
    kept is found by its bigrams)."""
    terms: set[str] = set()
    for token in _segmented(_normal(text)):
        terms.add(token)
        if _is_cjk(token):
            terms.update(_bigrams(token))
        if len(terms) >= DESCRIPTION_TERMS:
            break
    return frozenset(terms)


def weighted_terms(
    title: str | None,
    description: str | None,
    keywords: Iterable[object] | None,
    category: str | None,
) -> dict[str, int]:
    """Each search term of a catalogue, with the weight of the best field it occurs in.
    Fields that are missing or not text are skipped."""
    weighted: dict[str, int] = {}

    def add(terms: Iterable[str], weight: int) -> None:
        for term in terms:
            if weighted.get(term, 0) < weight:
                weighted[term] = weight

    if isinstance(title, str):
        add(_field_terms(title), TITLE)
    for keyword in keywords or ():
        if isinstance(keyword, str):
            add(_field_terms(keyword), KEYWORDS)
    if isinstance(category, str):
        add(_field_terms(category), KEYWORDS)
    if isinstance(description, str):
        add(_description_terms(description), DESCRIPTION)
    return weighted


def search_terms(
    title: str | None,
    description: str | None,
    keywords: Iterable[object] | None,
    category: str | None,
) -> set[str]:
    """The search terms of a catalogue (:func:`weighted_terms` without the weights)."""
    return set(weighted_terms(title, description, keywords, category))


# ----------------------------------------------------------------------------- queries


class QueryError(ValueError):
    """A query that cannot be searched (nothing to search for, or too many words)."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a query: it matches a listing holding every term of ``parts`` (its bigrams,
    or the ASCII word)."""

    parts: tuple[str, ...]


def query_words(q: str) -> tuple[Word, ...]:
    """The words of a query, in order, without repeats. Single characters are skipped (there
    are no one-character terms); raises :class:`QueryError` when nothing is left, or when
    there are more than :data:`MAX_QUERY_WORDS` words or :data:`MAX_QUERY_TERMS` terms."""
    words: dict[Word, None] = {}
    for run in _runs(_normal(q)):
        if len(run) < 2:
            continue
        if not _is_cjk(run):
            words.setdefault(Word((run[:MAX_TERM_LENGTH],)))
        else:
            words.setdefault(Word(tuple(dict.fromkeys(_bigrams(run)))))
    if not words:
        raise QueryError("the query has no word of two or more letters or characters")
    if len(words) > MAX_QUERY_WORDS:
        raise QueryError(f"the query has {len(words)} words; at most {MAX_QUERY_WORDS}")
    terms = query_terms(tuple(words))
    if len(terms) > MAX_QUERY_TERMS:
        raise QueryError(f"the query is too long: {len(terms)} terms; at most {MAX_QUERY_TERMS}")
    return tuple(words)


def query_terms(words: Sequence[Word]) -> tuple[str, ...]:
    """Every term the words name, without repeats."""
    return tuple(dict.fromkeys(term for word in words for term in word.parts))
