"""jieba's tokenizer is built exactly once, however many threads ask for it at once (the
catalogue's reader threads and the indexer's segment text concurrently)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jieba
import pytest

from node.store import search_terms

THREADS = 8


class _SlowTokenizer:
    """Stands for ``jieba.Tokenizer``: counts its builds, and loads its "dictionary" slowly
    enough that every thread asks while the first one is still building."""

    built = 0
    counting = threading.Lock()

    def __init__(self) -> None:
        with _SlowTokenizer.counting:
            _SlowTokenizer.built += 1

    def initialize(self) -> None:
        time.sleep(0.2)


@pytest.fixture
def unbuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tokenizer built yet, and jieba's class replaced by the counting one."""
    monkeypatch.setattr(search_terms, "_jieba_tokenizer", None)
    monkeypatch.setattr(jieba, "Tokenizer", _SlowTokenizer)
    monkeypatch.setattr(_SlowTokenizer, "built", 0)


@pytest.mark.usefixtures("unbuilt")
def test_threads_asking_at_once_build_one_tokenizer() -> None:
    start = threading.Barrier(THREADS)

    def ask() -> object:
        start.wait()
        return search_terms._tokenizer()

    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(lambda _: ask(), range(THREADS)))
    assert _SlowTokenizer.built == 1
    assert all(tokenizer is got[0] for tokenizer in got)
    assert isinstance(got[0], _SlowTokenizer)


@pytest.mark.usefixtures("unbuilt")
def test_once_built_it_is_returned_without_the_lock() -> None:
    first = search_terms._tokenizer()
    with search_terms._jieba_lock:  # held elsewhere: a built tokenizer does not wait for it
        assert search_terms._tokenizer() is first
    assert _SlowTokenizer.built == 1


def test_the_real_tokenizer_segments_chinese() -> None:
    assert "交通" in search_terms._tokenizer().cut_for_search("衡阳市交通出行数据", HMM=False)
