"""Timing the customer search through the app's real query path, beside a primary-key baseline.

Each measure runs what the customer list page runs — ``customer_list(scope, CustomerFilters(q))``
and its first keyset page of 50 — for a term taken from a customer sampled at random from the
archive:

- ``name_fragment``: two adjacent characters of the name (小明 of 王小明, or 王小);
- ``phone_tail``: the phone's last four digits;
- ``address_word``: a city or district as people type it (杭州, 朝阳, 石家庄);

and the baseline, ``Customer.objects.get(pk=…)`` of the same customer, runs interleaved with
them, so the ratio to the baseline holds even when the machine's speed drifts during the run.
Correctness is checked outside the timings: the sampled customer must be among the results and
every row of the page must really contain the term. Times are never asserted; only these
checks are (see test_bench.py).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from bench.generate import BenchOrg, place_word
from manyi.customers.models import Customer
from manyi.customers.queries import CustomerFilters, customer_list
from manyi.org.scopes import Scope, scope_for
from manyi.pagination import keyset_page

BASELINE = "pk_baseline"
SEARCHES = ("name_fragment", "phone_tail", "address_word")
MEASURES = (BASELINE, *SEARCHES)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Sample:
    """One customer picked from the archive, with what is searched for it."""

    pk: int
    name: str
    phone: str
    address: str
    terms: dict[str, str]


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0–100): a value that was actually measured."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def name_fragment(name: str, rng: random.Random) -> str:
    """Two adjacent characters of the name: the given name (小明) or surname + first (王小)."""
    if len(name) <= 2:
        return name
    start = rng.randrange(len(name) - 1)
    return name[start : start + 2]


def sample_customers(company_id: int, count: int, rng: random.Random) -> list[Sample]:
    """``count`` distinct customers of the company, uniformly at random over its ids."""
    ids = Customer.objects.filter(company_id=company_id).values_list("pk", flat=True)
    low, high = ids.order_by("pk").first(), ids.order_by("-pk").first()
    if low is None or high is None:
        raise ValueError("the benchmark company has no customers")
    wanted = min(count, ids.count())
    picked: dict[int, Sample] = {}
    while len(picked) < wanted:
        # Ids of freshly generated data are contiguous; a gap (deleted rows) just draws again.
        candidates = {rng.randint(low, high) for _ in range(wanted - len(picked))} - set(picked)
        for customer in Customer.objects.filter(pk__in=candidates).order_by("pk"):
            place = customer.city if rng.random() < 0.5 else customer.district
            picked[customer.pk] = Sample(
                pk=customer.pk,
                name=customer.name,
                phone=customer.phone,
                address=customer.full_address,
                terms={
                    "name_fragment": name_fragment(customer.name, rng),
                    "phone_tail": customer.phone[-4:],
                    "address_word": place_word(place),
                },
            )
    samples = list(picked.values())
    rng.shuffle(samples)
    return samples


def _matches(customer: Customer, term: str) -> bool:
    """Whether a returned row really contains the term (what the user expects to see)."""
    if term.isdigit():
        return customer.phone.endswith(term) or term in customer.full_address
    return term in customer.name or term in customer.full_address


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def _head_scope(org: BenchOrg) -> Scope:
    # Re-read the user: a scope is cached on the user object, and the head must be company-wide.
    user = get_user_model().objects.select_related("staff__unit").get(pk=org.head.pk)
    scope = scope_for(user)
    assert scope.is_company_wide, "the benchmark user must see the whole company"
    return scope


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "mean": sum(times) / len(times),
        "max": max(times),
    }


def explain(scope: Scope, term: str) -> str:
    """The plan of one search's first page (EXPLAIN ANALYZE on PostgreSQL), for the report."""
    qs = customer_list(scope, CustomerFilters(q=term)).order_by("-pk")[: PAGE_SIZE + 1]
    if connection.vendor == "postgresql":
        return qs.explain(analyze=True, buffers=True)
    return qs.explain()


def run(
    org: BenchOrg,
    *,
    queries: int,
    seed: int,
    warmup: int = 10,
    verify: bool = True,
    plans: bool = False,
) -> dict[str, Any]:
    """Time every measure ``queries`` times; returns the figures (JSON-ready)."""
    rng = random.Random(seed)
    scope = _head_scope(org)
    samples = sample_customers(org.company.pk, queries + warmup, rng)
    times: dict[str, list[float]] = {m: [] for m in MEASURES}
    slowest: dict[str, tuple[float, str]] = {}
    checks = {m: {"missing": 0, "wrong_rows": 0, "on_first_page": 0, "rows": 0} for m in SEARCHES}
    examples: dict[str, list[str]] = {m: [] for m in SEARCHES}

    for index, sample in enumerate(samples):
        recording = index >= warmup  # the first samples only warm caches and connections
        order = list(MEASURES)
        rng.shuffle(order)  # no measure always runs on the caches another one warmed
        for measure in order:
            if measure == BASELINE:
                pk = sample.pk
                elapsed, _customer = _timed(lambda pk=pk: Customer.objects.get(pk=pk))
                if recording:
                    times[BASELINE].append(elapsed)
                continue
            term = sample.terms[measure]
            filters = CustomerFilters(q=term)
            elapsed, page = _timed(
                lambda f=filters: keyset_page(customer_list(scope, f), size=PAGE_SIZE)
            )
            if not recording:
                continue
            times[measure].append(elapsed)
            if elapsed > slowest.get(measure, (-1.0, ""))[0]:
                slowest[measure] = (elapsed, term)
            if len(examples[measure]) < 5:
                examples[measure].append(term)
            check = checks[measure]
            check["rows"] += len(page.items)
            check["on_first_page"] += any(c.pk == sample.pk for c in page.items)
            if verify:
                check["wrong_rows"] += sum(not _matches(c, term) for c in page.items)
                found = customer_list(scope, filters).filter(pk=sample.pk).exists()
                check["missing"] += not found

    base_p50 = percentile(times[BASELINE], 50)
    report: dict[str, Any] = {"queries": queries, "warmup": warmup, "measures": {}}
    for measure in MEASURES:
        figures = _summary(times[measure])
        figures["ratio_p50"] = figures["p50"] / base_p50 if base_p50 else float("nan")
        figures["n"] = len(times[measure])
        if measure in checks:
            check = checks[measure]
            figures.update(check)
            figures["mean_page_rows"] = check["rows"] / len(times[measure])
            figures["examples"] = examples[measure]
            figures["slowest_term"] = slowest[measure][1]
        report["measures"][measure] = figures
    if plans:
        report["plans"] = {m: explain(scope, slowest[m][1]) for m in SEARCHES}
        report["sql"] = {
            m: str(customer_list(scope, CustomerFilters(q=slowest[m][1])).query) for m in SEARCHES
        }
    return report
