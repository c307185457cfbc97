"""The bench's report (bench/run.py): the tables `make bench` prints, at two sizes and with
sizes between them."""

import importlib.util
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.fixture
def run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measured(p50s):
    """Each size's pages as a worker reports them: one public page and one admin page."""
    return {
        label: {
            "pages": {
                "events": {"queries": 3, "p50": p50, "p95": p50 * 1.25, "requests": 50},
                "admin changelist": {"queries": 10, "p50": p50 * 4, "p95": p50 * 5},
            }
        }
        for label, p50 in p50s.items()
    }


def rows(text):
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()]


def test_two_sizes_give_the_smallest_and_the_largest_and_their_ratio(run, monkeypatch):
    monkeypatch.setenv("BENCH_SIZES", "1k:1000,1M:1000000")
    head, _rule, events = rows(run.table(measured({"1k": 8.0, "1M": 12.0})))
    assert head[:6] == [
        "page",
        "queries",
        "p50 @1k (ms)",
        "p50 @1M (ms)",
        "p95 @1M (ms)",
        "ratio 1M/1k",
    ]
    assert events[:6] == ["events", "3", "8.0", "12.0", "15.0", "1.50"]


def test_a_size_between_adds_its_p50_and_the_largests_ratio_to_it(run, monkeypatch):
    monkeypatch.setenv("BENCH_SIZES", "1k:1000,100k:100000,1M:1000000")
    three = measured({"1k": 8.0, "100k": 10.0, "1M": 12.0})
    head, rule, events = rows(run.table(three))
    assert len(head) == len(rule) == len(events)
    row = dict(zip(head, events, strict=True))
    assert row["p50 @1k (ms)"] == "8.0"
    assert row["p50 @100k (ms)"] == "10.0"
    assert row["p50 @1M (ms)"] == "12.0"
    assert row["ratio 1M/1k"] == "1.50"
    assert row["ratio 1M/100k"] == "1.20"
    # The admin's pages are a table of their own, with the same columns.
    admin_head, _rule, admin = rows(run.table(three, admin=True))
    assert admin_head == head
    assert dict(zip(admin_head, admin, strict=True))["ratio 1M/100k"] == "1.20"
