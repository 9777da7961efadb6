"""Answers are kept while the store version holds, and never past a change."""

from __future__ import annotations

import time

from ansiscope.service.answers import Answers


class Store:
    def __init__(self) -> None:
        self.version = 0
        self.computed = 0

    def answer(self) -> int:
        self.computed += 1
        return self.version


def test_the_sole_writer_answers_again_until_the_version_moves() -> None:
    store = Store()
    answers: Answers[int] = Answers(lambda: store.version, sole_writer=True)
    assert [answers.get("q", store.answer) for _ in range(5)] == [0] * 5
    assert store.computed == 1
    store.version = 1  # something was stored: answered anew at once, however fresh
    assert answers.get("q", store.answer) == 1
    assert store.computed == 2
    assert answers.get("other", store.answer) == 1  # each question its own answer
    assert store.computed == 3


def test_a_shared_store_keeps_answers_only_while_fresh() -> None:
    store = Store()
    answers: Answers[int] = Answers(lambda: store.version, sole_writer=False, fresh_s=0.05)
    answers.get("q", store.answer)
    answers.get("q", store.answer)
    assert store.computed == 1
    time.sleep(0.06)  # others may have written: the version cannot say
    answers.get("q", store.answer)
    assert store.computed == 2


def test_a_kept_answer_expires_after_stale_s() -> None:
    store = Store()
    answers: Answers[int] = Answers(
        lambda: store.version, sole_writer=True, fresh_s=0.0, stale_s=0.05
    )
    answers.get("q", store.answer)
    time.sleep(0.06)
    answers.get("q", store.answer)
    assert store.computed == 2


def test_the_cache_is_bounded() -> None:
    store = Store()
    answers: Answers[int] = Answers(lambda: store.version, sole_writer=True, size=4)
    for n in range(10):
        answers.get(n, store.answer)
    assert len(answers._kept) <= 4
