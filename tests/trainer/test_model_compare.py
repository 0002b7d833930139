"""The rule that decides whether a candidate model may replace the live one.

Reports are built by hand in the shape of Rasa's intent_report.json: one row per
intent plus summary rows, which the rule must ignore.
"""

from __future__ import annotations

from typing import Dict

import pytest

from trainer.models import LiveRecord, TrainerError, compare, format_table


def report(**f1: float) -> Dict[str, Dict[str, float]]:
    rows = {name: {"precision": f, "recall": f, "f1-score": f, "support": 10} for name, f in f1.items()}
    # Summary rows Rasa writes beside the intents: never treated as intents.
    rows["macro avg"] = {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
    rows["weighted avg"] = {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
    return rows


LIVE = report(greet=0.90, order_status=0.80, refund=0.70, goodbye=1.00)


def test_small_changes_within_the_margin_pass() -> None:
    candidate = report(greet=0.89, order_status=0.81, refund=0.69, goodbye=0.99)
    verdict = compare(LIVE, candidate, 0.02)
    assert verdict.ok
    assert verdict.drops == [] and verdict.new_intents == [] and verdict.missing_intents == []
    assert verdict.macro_live == pytest.approx(0.85)
    assert verdict.macro_candidate == pytest.approx(0.845)
    assert verdict.reasons() == []


def test_a_macro_f1_drop_beyond_the_margin_is_refused() -> None:
    candidate = report(greet=0.85, order_status=0.75, refund=0.65, goodbye=0.95)  # all −0.05
    verdict = compare(LIVE, candidate, 0.02)
    assert not verdict.ok and verdict.macro_dropped
    assert verdict.reasons()[0] == "macro-F1 drops 0.050 (0.850 → 0.800), more than 0.020"
    assert len(verdict.drops) == 4
    assert compare(LIVE, candidate, 0.05).ok  # the same candidate, a wider margin


def test_one_intent_dropping_is_refused_even_when_the_average_holds() -> None:
    candidate = report(greet=0.99, order_status=0.90, refund=0.60, goodbye=1.00)  # refund −0.10
    verdict = compare(LIVE, candidate, 0.02)
    assert verdict.macro_candidate > verdict.macro_live
    assert not verdict.ok and not verdict.macro_dropped
    assert [(d.intent, round(d.drop, 3)) for d in verdict.drops] == [("refund", 0.1)]
    assert verdict.reasons() == ["intent refund: F1 drops 0.100 (0.700 → 0.600), more than 0.020"]


def test_an_intent_the_candidate_lost_counts_as_zero() -> None:
    candidate = report(greet=0.90, order_status=0.80, goodbye=1.00)
    verdict = compare(LIVE, candidate, 0.02)
    assert verdict.missing_intents == ["refund"]
    assert not verdict.ok
    assert [(d.intent, d.live_f1, d.candidate_f1) for d in verdict.drops] == [("refund", 0.70, 0.0)]
    assert verdict.macro_candidate == pytest.approx((0.90 + 0.80 + 1.00) / 4)
    assert "the candidate lost this intent" in verdict.reasons()[-1]


def test_a_new_intent_is_reported_and_never_a_drop() -> None:
    candidate = report(greet=0.90, order_status=0.80, refund=0.70, goodbye=1.00, invoice=0.40)
    verdict = compare(LIVE, candidate, 0.02)
    assert verdict.ok
    assert verdict.new_intents == ["invoice"] and verdict.drops == []
    # Both means are over the same five intents; the live model scores 0 on the new one.
    assert verdict.macro_live == pytest.approx(3.40 / 5)
    assert verdict.macro_candidate == pytest.approx(3.80 / 5)


def test_a_drop_of_exactly_the_margin_passes_and_a_hair_more_does_not() -> None:
    # 0.90 − 0.88 is 0.020000000000000018 in floats: still "exactly the margin".
    exactly = report(greet=0.88, order_status=0.78, refund=0.68, goodbye=0.98)
    assert compare(LIVE, exactly, 0.02).ok
    beyond = report(greet=0.8799, order_status=0.80, refund=0.70, goodbye=1.00)
    verdict = compare(LIVE, beyond, 0.02)
    assert not verdict.ok and [d.intent for d in verdict.drops] == ["greet"]
    assert compare(LIVE, LIVE, 0.0).ok


def test_the_table_shows_each_intent_and_macro_f1() -> None:
    candidate = report(greet=0.95, order_status=0.80, goodbye=1.00, invoice=0.5)
    table = format_table(compare(LIVE, candidate, 0.02)).splitlines()
    assert table[0].split() == ["intent", "live", "candidate", "change"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:]}
    assert rows["greet"] == ["0.900", "0.950", "+0.050"]
    assert rows["refund"] == ["0.700", "—", "-0.700", "!"]
    assert rows["invoice"] == ["—", "0.500", "+0.500"]
    assert set(rows) == {"greet", "order_status", "refund", "goodbye", "invoice", "macro-F1"}


def test_rollback_walks_back_through_the_history() -> None:
    record = LiveRecord("a.tar.gz").promoted("b.tar.gz").promoted("c.tar.gz")
    assert record == LiveRecord("c.tar.gz", ("b.tar.gz", "a.tar.gz"))
    assert record.rolled_back() == LiveRecord("b.tar.gz", ("a.tar.gz",))
    with pytest.raises(TrainerError, match="no earlier release"):
        LiveRecord("a.tar.gz").rolled_back()
