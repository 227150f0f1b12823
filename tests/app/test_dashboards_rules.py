"""The dashboards' rules on their own: percentiles from buckets, business hours and the reply window,
buyer turns in a chat, the filters of a page, CSV cells, and the reputation colours per site."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mostrador.conversations import calendar
from mostrador.dashboards import aggregate, facts, histogram, reputation, words
from mostrador.dashboards.filters import Filters, UnknownAccount, parse
from mostrador.dashboards.tables import SHARE, TEXT, Column, Table

BA = ZoneInfo("America/Argentina/Buenos_Aires")


def nearest_rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [50, 90, 99])
def test_a_percentile_from_buckets_is_the_first_edge_at_or_above_the_exact_one(seed: int, p: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(7, 2) for _ in range(rng.randint(1, 400))]
    found = histogram.percentile(histogram.of(values), p)
    exact = nearest_rank(values, p)
    assert found is not None
    if found.high is None:
        assert exact > histogram.EDGES[-1] and found.low == histogram.EDGES[-1]
    else:
        assert found.low < exact <= found.high or (found.low == 0 and exact <= found.high)
        assert found.high == min(e for e in histogram.EDGES if e >= exact)


def test_no_values_no_percentile_and_durations_read_as_words() -> None:
    assert histogram.percentile(histogram.empty(), 50) is None
    assert [histogram.duration_words(s) for s in (45, 720, 12_000, 3 * 86_400 + 7_200)] == [
        "45 s",
        "12 min",
        "3 h 20 min",
        "3 d 2 h",
    ]
    with pytest.raises(ValueError, match="buckets"):
        histogram.add(histogram.empty(), [1, 2, 3])


def local(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BA)


DEFAULT = calendar.business_hours(None, "MLA")


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (local(2026, 11, 23, 10), local(2026, 11, 23, 18)),  # Monday 10:00 → Monday 18:00
        (local(2026, 11, 23, 12), local(2026, 11, 24, 11)),  # Monday 12:00 → 6 h Mon + 2 h Tue
        (local(2026, 11, 27, 17), local(2026, 11, 30, 16)),  # Friday 17:00 → 1 h Fri + 7 h Monday
        (local(2026, 11, 28, 11), local(2026, 11, 30, 17)),  # Saturday → from Monday 09:00
        (local(2026, 11, 23, 7), local(2026, 11, 23, 17)),  # before opening → the whole Monday
        (local(2026, 11, 23, 20), local(2026, 11, 24, 17)),  # after closing → the next day
    ],
)
def test_the_reply_window_is_eight_business_hours_on_default_hours(
    start: datetime, deadline: datetime
) -> None:
    assert calendar.add_business_time(start, 8 * 3600, DEFAULT) == deadline.astimezone(UTC)
    assert not DEFAULT.configured and DEFAULT.zone == BA


def test_the_account_s_own_business_hours_and_holidays_count() -> None:
    hours = calendar.business_hours(
        {
            "business_hours": {
                "timezone": "America/Mexico_City",
                "weekly": {"mon": ["09:00-13:00", "14:00-18:00"], "tue": ["10:00-24:00"]},
                "holidays": ["2026-11-23"],
            }
        },
        "MLA",
    )
    mx = ZoneInfo("America/Mexico_City")
    assert hours.configured and hours.zone == mx
    # Monday is a holiday; Tuesday opens 10:00-24:00; the next is the following Monday.
    start = datetime(2026, 11, 23, 9, tzinfo=mx)
    assert calendar.add_business_time(start, 8 * 3600, hours) == datetime(2026, 11, 24, 18, tzinfo=mx)
    assert calendar.add_business_time(start, 15 * 3600, hours) == datetime(2026, 11, 30, 10, tzinfo=mx)
    # Settings without opening ranges keep their zone and get the default week.
    only_zone = calendar.business_hours({"business_hours": {"timezone": "America/Lima"}}, "MLA")
    assert not only_zone.configured and only_zone.zone == ZoneInfo("America/Lima")


def message(
    i: int, direction: str, at: datetime, status: str = "sent", author: str | None = None
) -> facts.MessageRow:
    return facts.MessageRow(
        id=i,
        conversation_id=1,
        direction=direction,
        author=author or ("buyer" if direction == "in" else "agent"),
        external_id=f"m{i}",
        status="received" if direction == "in" else status,
        meta=None,
        created_at=at,
        sent_at=at if direction == "out" and status == "sent" else None,
    )


def test_a_chat_turn_runs_from_the_first_buyer_message_to_the_next_reply_that_was_sent() -> None:
    t0 = local(2026, 11, 23, 10).astimezone(UTC)
    thread = facts.Thread(1, 1, 1, None, None)
    messages = [
        message(1, "out", t0 - timedelta(hours=1)),  # the seller wrote first: no turn
        message(2, "in", t0),
        message(3, "in", t0 + timedelta(minutes=5)),  # same turn
        message(4, "out", t0 + timedelta(minutes=20), status="failed"),  # not a reply: never sent
        message(5, "out", t0 + timedelta(hours=2)),
        message(6, "in", t0 + timedelta(hours=3)),  # still waiting
        facts.MessageRow(7, 1, "in", "system", "state:pack", "state", {}, t0, None),  # state, not a message
    ]
    turns = facts.turns_of(thread, messages, BA, DEFAULT)
    assert [(t.message_id, t.response_s, t.replied_by) for t in turns] == [
        (2, 7200, "agent"),
        (6, None, None),
    ]
    assert turns[0].deadline == local(2026, 11, 23, 18).astimezone(UTC)
    volume = facts.volume_of(messages, BA)
    assert volume == {date(2026, 11, 23): (3, 2)}


def test_questions_pair_with_their_published_answer_and_say_why_a_person_got_them() -> None:
    t0 = datetime(2026, 11, 20, 15, tzinfo=UTC)
    thread = facts.Thread(1, 1, 1, "MLA1", "77")

    def q(i: int, meta: dict[str, object] | None) -> facts.MessageRow:
        return facts.MessageRow(i, 1, "in", "buyer", f"{i}", "received", meta, t0, None)

    def a(i: int, author: str, status: str = "sent") -> facts.MessageRow:
        sent = t0 + timedelta(seconds=i * 100) if status == "sent" else None
        return facts.MessageRow(100 + i, 1, "out", author, f"answer:{i}", status, None, t0, sent)

    found = facts.questions_of(
        thread,
        [
            q(1, {"intents": ["stock"], "reason": None}),
            a(1, "bot"),
            q(2, {"intents": ["invoice"], "reason": "missing_fact:invoice"}),
            a(2, "agent"),
            q(3, {"intents": ["stock"], "reason": None}),
            a(3, "bot", status="draft"),
            q(4, {"intents": ["stock"], "reason": None}),
            a(4, "agent"),  # a draft a person approved or rewrote
            q(5, None),
            a(5, "seller"),
        ],
        BA,
    )
    assert [(f.answered_by, f.response_s, f.handoff) for f in found] == [
        ("bot", 100, None),
        ("agent", 200, "missing_fact:invoice"),
        (None, None, words.DRAFT),
        ("agent", 400, words.DRAFT),
        ("seller", 500, None),
    ]
    assert words.handoff("missing_fact:invoice") == "falta la política de facturación"
    assert words.handoff("low_confidence") != "low_confidence"


def test_filters_default_to_thirty_days_and_forgive_bad_values() -> None:
    today = date(2026, 11, 28)
    groups = ("reason", "item")
    assert parse({}, today, [1, 2], groups, "reason") == Filters(
        None, date(2026, 10, 30), today, 30, "reason"
    )
    assert parse(
        {"days": "7", "group_by": "item", "account": "2"}, today, [1, 2], groups, "reason"
    ) == Filters(2, date(2026, 11, 22), today, 7, "item")
    odd = parse({"days": "8", "group_by": "drop table", "from": "nope"}, today, [1], groups, "reason")
    assert (odd.days, odd.group_by) == (30, "reason")
    custom = parse({"from": "2026-12-31", "to": "2026-01-01"}, today, [1], groups, "reason")
    assert (custom.start, custom.end, custom.days) == (date(2026, 1, 1), date(2026, 11, 28), None)
    for foreign in ("3", "abc", "²"):
        with pytest.raises(UnknownAccount):
            parse({"account": foreign}, today, [1, 2], groups, "reason")


def test_csv_cells_are_plain_values_and_text_never_becomes_a_formula() -> None:
    table = Table("t", "T", [Column("name", "Nombre", TEXT), Column("share", "%", SHARE)])
    table.rows = [{"name": "=HYPERLINK(1)", "share": 0.12345}, {"name": "ok", "share": None}]
    rows = list(csv.reader(io.StringIO(table.csv())))
    assert rows == [["name", "share"], ["'=HYPERLINK(1)", "0.1235"], ["ok", ""]]


@pytest.mark.parametrize(
    ("site", "rate", "band"),
    [
        ("MLA", 0.01, "leader"),
        ("MLA", 0.0151, "yellow"),
        ("MLA", 0.06, "orange"),
        ("MLA", 0.061, "red"),
        ("MLB", 0.02, "green"),
        ("MLB", 0.045, "yellow"),
        ("MLC", 0.03, "green"),
        ("MLU", 0.5, None),  # no published limits for the site: no colour
    ],
)
def test_the_colour_a_claims_rate_allows_per_site(site: str, rate: float, band: str | None) -> None:
    assert reputation.band(rate, reputation.THRESHOLDS.get(site)) == band


def test_each_open_claim_that_ends_against_the_seller_adds_one_to_the_window_s_claims() -> None:
    metric = reputation.ClaimsMetric.from_metrics(
        {"claims": {"period": "60 days", "rate": 0.01, "value": 2}, "sales": {"completed": 200}}
    )
    assert metric is not None and metric.rate_with(1) == 3 / 200 and metric.rate_with(3) == 5 / 200
    implied = reputation.ClaimsMetric.from_metrics({"claims": {"rate": 0.02, "value": 4}})
    assert implied is not None and implied.rate_with(1) == pytest.approx(5 / 200)
    # Mercado Libre's rate is over every sale of the window, cancelled ones too: its value/rate wins.
    with_cancelled = reputation.ClaimsMetric.from_metrics(
        {"claims": {"rate": 0.02, "value": 4}, "sales": {"completed": 150}}
    )
    assert with_cancelled is not None and with_cancelled.rate_with(2) == pytest.approx(6 / 200)
    no_claims = reputation.ClaimsMetric.from_metrics(
        {"claims": {"rate": 0, "value": 0}, "sales": {"completed": 50}}
    )
    assert no_claims is not None and no_claims.rate_with(1) == 1 / 50
    assert reputation.ClaimsMetric.from_metrics({"claims": {"rate": 0, "value": 0}}).rate_with(1) is None  # type: ignore[union-attr]
    assert reputation.ClaimsMetric.from_metrics(None) is None


def test_charts_are_well_formed_svg_whose_marks_carry_their_figures_and_escape_labels() -> None:
    import xml.etree.ElementTree as ET

    from mostrador.dashboards import charts

    svg = "".join(
        [
            charts.columns(
                "Por día",
                [("01/11", {"a": 3, "b": 1}), ("<b>", {"a": 0, "b": 2})],
                [
                    charts.Series("a", "uno", charts.BLUE),
                    charts.Series("b", "dos", charts.RED),
                ],
            ),
            charts.bars("Motivos", [("x", "<script>alert(1)</script>", 4), ("y", "y" * 80, 1)], of=5),
            charts.split(
                "Plazos", [charts.Part(k, k * 30, v, charts.GREEN) for k, v in (("met", 3), ("missed", 1))]
            ),
        ]
    )
    roots = [ET.fromstring(part + "</svg>") for part in svg.split("</svg>")[:-1]]
    assert [r.get("aria-label") for r in roots] == ["Por día", "Motivos", "Plazos"]
    marks = {
        rect.get("data-key"): int(rect.get("data-value") or -1)
        for root in roots
        for rect in root.iter("{http://www.w3.org/2000/svg}rect")
        if rect.get("data-key")
    }
    assert marks == {
        "01/11|a": 3,
        "01/11|b": 1,
        "<b>|a": 0,
        "<b>|b": 2,
        "x": 4,
        "y": 1,
        "met": 3,
        "missed": 1,
    }
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    # A long legend wraps inside the picture instead of running off its right edge.
    legend_x = [float(t.get("x") or 0) for t in roots[2].iter("{http://www.w3.org/2000/svg}text")]
    assert max(legend_x) < charts.WIDTH


def test_a_day_is_stored_the_same_whatever_order_its_facts_come_in() -> None:
    """PostgreSQL returns rows in its heap's order, which a first pass cut into runs changes: the handoff
    counts of a day are stored key-sorted, so two folds of the same facts write identical rows."""
    day = date(2026, 11, 2)
    rows = [
        (day, None, None, "low_confidence", False),
        (day, "agent", 60.0, "complaint", False),
        (day, "bot", 5.0, None, True),
        (day, None, None, "complaint", False),
    ]
    forward = aggregate.question_days(1, 1, rows)
    backward = aggregate.question_days(1, 1, list(reversed(rows)))
    assert forward == backward
    assert json.dumps(forward[0]["handoffs"]) == json.dumps(backward[0]["handoffs"])
    assert list(forward[0]["handoffs"]) == ["complaint", "low_confidence"]
