"""The benchmark's table: ratios always read "times better", missing figures stay blank."""

from bench.report import ratio, table


def test_ratios_read_as_times_better_whichever_way_a_figure_improves():
    assert ratio(60.0, 20.0, "high") == "3.00×"         # throughput: more is better
    assert ratio(100.0, 300.0, "low") == "3.00×"        # latency: less is better
    assert ratio(None, 20.0, "high") == ""
    assert ratio(0.0, 20.0, "high") == ""
    assert ratio(5.0, 5.0, "") == ""                     # counts (lost, errors) get no ratio


def test_the_table_puts_both_sides_on_one_line_and_lists_memory():
    report = {
        "machine": {"cpus": 2, "cpu": "test cpu", "memory_gb": 24},
        "options": {"concurrency": 20, "rate": 25, "seconds": 30, "shape": {"rasa": 2}},
        "xiaoer": {"nlu_parse": {"p50_ms": 10.0, "p95_ms": 12.0},
                   "rest_closed": {"throughput_per_s": 51.0, "p50_ms": 300.0, "p95_ms": 500.0, "p99_ms": 600.0,
                                   "errors": 0, "lost": 0},
                   "memory_mb": {"rasa :5005": 900.0, "nginx": 6.0}, "unanswered_in_chat_log": 0},
        "baseline": {"nlu_parse": {"p50_ms": 12.0, "p95_ms": 15.0},
                     "rest_closed": {"throughput_per_s": 17.0, "p50_ms": 1100.0, "p95_ms": 1500.0,
                                     "p99_ms": 1900.0, "errors": 0, "lost": 0},
                     "memory_mb": {"rasa": 700.0}},
    }
    text = table(report)
    line = next(l for l in text.splitlines() if l.startswith("REST, closed loop: messages/s"))
    assert line.split()[-3:] == ["51", "17", "3.00×"]
    assert "widget" not in text                          # a phase nobody ran is not shown
    assert "rasa :5005 900" in text and "default Rasa 700" in text
