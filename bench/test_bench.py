"""The benchmark harness, shortened, on the database the suite runs on (so it never rots).

These tests check what the benchmark builds and that every measured search finds what it should;
they never assert a time (times depend on the machine; bench/README.md has the figures).
"""

from __future__ import annotations

import json
import math
import random
import re

from django.db import connection

from bench import customer_search, generate, measure
from manyi.customers import search
from manyi.customers.models import Customer
from manyi.customers.queries import CustomerFilters, customer_list
from manyi.org.scopes import scope_for

CUSTOMERS = 50_000
QUERIES = 30
SEED = 7
PHONE = re.compile(r"^1[3-9]\d{9}$")


def test_columns_written_are_every_column_of_the_model():
    # A new column on Customer must be filled by the generator, or the bulk load breaks.
    model_columns = {f.column for f in Customer._meta.concrete_fields if not f.primary_key}
    assert set(generate.COLUMNS) == model_columns
    assert len(generate.COLUMNS) == len(set(generate.COLUMNS))


def test_phones_are_valid_and_unique():
    phones = [generate.phone_for(i, SEED) for i in range(200_000)]
    assert all(PHONE.match(p) for p in phones)
    assert len(set(phones)) == len(phones)


def test_place_words_are_what_people_type():
    places = {city for _p, city, _d in generate.PLACES}
    places |= {d for _p, _c, districts in generate.PLACES for d in districts}
    for place in places:
        word = generate.place_word(place)
        assert 2 <= len(word) <= 3, place
        assert search.query_tokens(word), place
    assert generate.place_word("浦东新区") == "浦东"
    assert generate.place_word("石家庄市") == "石家庄"


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    random.Random(1).shuffle(values)
    assert measure.percentile(values, 50) == 50.0
    assert measure.percentile(values, 95) == 95.0
    assert measure.percentile(values, 99) == 99.0
    assert measure.percentile([3.0], 99) == 3.0


def test_generated_archive_and_search_measures(db):
    result = generate.generate(CUSTOMERS, seed=SEED)
    company = result.org.company
    assert result.inserted == result.total == CUSTOMERS
    customers = Customer.objects.filter(company=company)
    assert customers.count() == CUSTOMERS
    assert customers.values("phone").distinct().count() == CUSTOMERS
    assert {c.home_outlet_id for c in customers.only("home_outlet_id")[:500]} <= {
        o.pk for o in result.org.outlets
    }

    # Rows look like the app's own: search_text is exactly what the app computes.
    for customer in customers.order_by("?")[:50]:
        assert PHONE.match(customer.phone)
        assert customer.search_text == search.index_tokens(
            customer.name, customer.phone, customer.full_address
        )

    # The search index covers every row (SQLite's FTS table was rebuilt after the load).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {search.FTS_TABLE}")
            assert cursor.fetchone()[0] >= CUSTOMERS

    # Generating again adds nothing; asking for more continues the same numbering.
    again = generate.generate(CUSTOMERS + 10, seed=SEED)
    assert (again.inserted, again.total) == (10, CUSTOMERS + 10)

    report = measure.run(result.org, queries=QUERIES, seed=SEED, warmup=3, plans=True)
    assert set(report["measures"]) == set(measure.MEASURES)
    for name, figures in report["measures"].items():
        assert figures["n"] == QUERIES, name
        for key in ("p50", "p95", "p99", "ratio_p50"):
            assert isinstance(figures[key], float), (name, key)
            assert math.isfinite(figures[key]) and figures[key] > 0, (name, key)
        assert figures["p50"] <= figures["p95"] <= figures["p99"], name
    for name in measure.SEARCHES:
        figures = report["measures"][name]
        # Every sampled customer is found by its own fragment, and every row shown matches.
        assert figures["missing"] == 0, name
        assert figures["wrong_rows"] == 0, name
        assert figures["mean_page_rows"] >= 1, name
        assert report["plans"][name], name
    # The table the CLI prints is built from exactly this report.
    report.update(
        database=connection.vendor,
        customers=CUSTOMERS,
        size_mb=0.0,
        generation={"inserted": 0, "total": CUSTOMERS, "seconds": 0.0, "rows_per_second": 0.0},
    )
    table = customer_search.format_table([report])
    assert table.count("\n") == 2 + len(measure.MEASURES)


def test_triggers_are_back_after_the_load(db):
    # The bulk load swaps the SQLite triggers (and the PostgreSQL index) for one rebuild; a
    # customer added through the app afterwards must be searchable as usual.
    from manyi.customers.actions import create_customer

    org = generate.generate(1_000, seed=SEED).org
    create_customer(
        actor=org.head,
        data={"name": "司徒雅琴", "phone": "13312345678", "home_outlet": org.outlets[0]},
    )
    head = type(org.head).objects.select_related("staff__unit").get(pk=org.head.pk)
    found = customer_list(scope_for(head), CustomerFilters(q="雅琴"))
    assert [c.phone for c in found] == ["13312345678"]


def test_command_line_run_on_sqlite(tmp_path, capsys):
    # The whole CLI path, parent and child process, on a fresh SQLite file: small, but it
    # migrates, generates, measures and writes the JSON exactly as the full run does.
    code = customer_search.main(
        [
            "--customers", "3000", "--databases", "sqlite", "--queries", "5",
            "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "results"),
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "phone tail" in out
    (path,) = (tmp_path / "results").glob("customer_search-3000-*.json")
    result = json.loads(path.read_text(encoding="utf-8"))
    (run,) = result["runs"]
    assert run["database"] == "sqlite"
    assert run["customers"] == 3000
    assert all(run["measures"][m]["missing"] == 0 for m in measure.SEARCHES)
    assert result["machine"]["cpus"]
