"""The catalogue's kept answers (node.api.cache): epochs and an LRU bounded in bytes."""

from __future__ import annotations

import pytest

from node.api.cache import Answers, epoch_of

ENDS = [100, 200, 300]


@pytest.mark.parametrize(
    ("now", "passed"),
    [(50, 0), (99, 0), (100, 1), (199, 1), (200, 2), (1000, 3)],
    ids=[
        "before every end none has passed",
        "a second before an end the suspension still shows",
        "at its end a suspension no longer shows: a new epoch",
        "between two ends the epoch holds",
        "the next end starts the next epoch",
        "after the last end the epoch holds for ever",
    ],
)
def test_epoch_counts_the_suspension_ends_passed(now: int, passed: int) -> None:
    assert epoch_of(2, 1234, ENDS, now) == (2, 1234, passed)


def test_a_kept_answer_is_served_within_its_epoch() -> None:
    answers = Answers(1000)
    epoch = (0, 10, 0)
    assert answers.get(epoch, "a") is None
    answers.put(epoch, "a", b"body")
    assert answers.get(epoch, "a") == b"body"
    assert (answers.hits, answers.misses) == (1, 1)


def test_a_new_epoch_drops_every_answer_of_the_old_one() -> None:
    answers = Answers(1000)
    answers.get((0, 10, 0), "a")
    answers.put((0, 10, 0), "a", b"old")
    assert answers.get((0, 11, 0), "a") is None
    assert len(answers) == 0 and answers.bytes == 0


def test_an_answer_read_in_an_epoch_that_is_over_is_not_kept() -> None:
    answers = Answers(1000)
    answers.get((0, 10, 0), "a")
    answers.get((0, 11, 0), "b")  # the index moved on while "a" was read
    answers.put((0, 10, 0), "a", b"stale")
    assert answers.get((0, 11, 0), "a") is None


def test_a_rollback_to_a_block_seen_before_is_a_new_epoch() -> None:
    answers = Answers(1000)
    answers.get((0, 10, 0), "a")
    answers.put((0, 10, 0), "a", b"before the reorg")
    assert answers.get((1, 10, 0), "a") is None


def test_the_least_recently_used_answers_go_first_beyond_the_bound() -> None:
    answers = Answers(100)
    epoch = (0, 1, 0)
    answers.get(epoch, "a")
    for key in "abc":
        answers.put(epoch, key, key.encode() * 10)
    assert answers.get(epoch, "a") is not None  # a is now the most recent
    for key in "defghijk":
        answers.put(epoch, key, key.encode() * 10)
    assert answers.bytes <= 100
    assert answers.get(epoch, "b") is None and answers.get(epoch, "a") is not None


def test_a_body_larger_than_a_tenth_of_the_bound_is_not_kept() -> None:
    answers = Answers(100)
    answers.get((0, 1, 0), "big")
    answers.put((0, 1, 0), "big", b"x" * 11)
    assert answers.get((0, 1, 0), "big") is None


def test_a_bound_of_zero_keeps_nothing() -> None:
    answers = Answers(0)
    answers.get((0, 1, 0), "a")
    answers.put((0, 1, 0), "a", b"")
    assert answers.get((0, 1, 0), "a") is None
