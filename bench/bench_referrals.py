"""Matching time per referral on a synthetic 10,000-service HSDS directory.

Run: .venv/bin/python bench/bench_referrals.py [n_services]

The directory imitates a statewide 211 export: 1,000 ZIP codes in 50 counties, each service
meeting 1-2 needs and covering either its county (20%) or 1-30 nearby ZIP codes, with ages,
pregnancy eligibility, languages, capacity and record dates varied. It is written as HSDS
JSON and loaded through the ordinary loader, so the load time is measured too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from models.referral import Need, Referral
from service.referrals import load_directory, suggest_referrals

CODES = {
    Need.home_visiting: "108-07-03",
    Need.prenatal_home_visiting: "106-06-05",
    Need.substance_use_treatment: "106-01-04",
    Need.domestic_violence: "101-06-01",
    Need.housing: "103-02",
    Need.early_learning: "109-04",
    Need.parenting: "106-04-05",
    Need.food: "102-04",
    Need.mental_health: "108-07-01",
}
N_ZIPS, N_COUNTIES = 1000, 50


def zip_code(i: int) -> str:
    return f"{80000 + i:05d}"


def build(n: int, rng: random.Random) -> list[dict[str, object]]:
    services = []
    for i in range(n):
        home = rng.randrange(N_ZIPS)
        county = home * N_COUNTIES // N_ZIPS
        needs = rng.sample(list(CODES), k=rng.choice((1, 1, 2)))
        if rng.random() < 0.2:
            areas = [{"id": f"a{i}", "name": f"County {county} County"}]
        else:
            span = rng.randint(1, 30)
            zips = [zip_code(min(N_ZIPS - 1, home + k)) for k in range(span)]
            areas = [{"id": f"a{i}", "extent": " ".join(zips), "extent_type": "text"}]
        low = rng.choice((None, 0, 0, 18))
        attributes = [
            {
                "id": f"t{i}-{k}",
                "link_type": "service_type",
                "taxonomy_term": {
                    "id": f"oe-{CODES[need]}",
                    "code": CODES[need],
                    "name": need.value,
                },
            }
            for k, need in enumerate(needs)
        ]
        if rng.random() < 0.1:
            attributes.append(
                {
                    "id": f"e{i}",
                    "link_type": "eligibility",
                    "taxonomy_term": {"id": "el-p", "code": "pregnant", "name": "Pregnant"},
                }
            )
        lat, lon = 34 + home / 1000, -118 + rng.uniform(-0.05, 0.05)
        services.append(
            {
                "id": f"s{i}",
                "name": f"Service {i}",
                "status": rng.choice(["active"] * 9 + ["inactive"]),
                "minimum_age": low,
                "maximum_age": 5 if low == 0 else None,
                "interpretation_services": "Phone interpreters" if rng.random() < 0.3 else None,
                "assured_date": (
                    dt.date(2025, 1, 1) - dt.timedelta(days=rng.randrange(1000))
                ).isoformat(),
                "organization": {"id": f"o{i // 5}", "name": f"Org {i // 5}"},
                "service_areas": areas,
                "languages": [
                    {"id": f"l{i}-{c}", "code": c}
                    for c in rng.sample(["en", "es", "vi", "zh"], k=2)
                ],
                "attributes": attributes,
                "phones": [{"id": f"p{i}", "number": f"555-{i:04d}"}],
                "capacities": [
                    {
                        "id": f"c{i}",
                        "available": rng.randrange(4),
                        "updated": "2025-01-01T00:00:00Z",
                    }
                ],
                "service_at_locations": [
                    {
                        "id": f"sal{i}",
                        "location": {
                            "id": f"loc{i}",
                            "location_type": "physical",
                            "latitude": lat,
                            "longitude": lon,
                            "addresses": [
                                {
                                    "id": f"ad{i}",
                                    "address_1": f"{i} Main St",
                                    "city": "Town",
                                    "state_province": "DS",
                                    "postal_code": zip_code(home),
                                    "country": "US",
                                    "address_type": "physical",
                                }
                            ],
                        },
                    }
                ],
            }
        )
    return services


def referrals(k: int, rng: random.Random) -> list[Referral]:
    allegations = ["neglect", "domestic_violence", "caregiver_substance_use", "inadequate_housing"]
    out = []
    for i in range(k):
        home = rng.randrange(N_ZIPS)
        out.append(
            Referral.model_validate(
                {
                    "referral_id": f"r{i}",
                    "received_at": "2025-04-01T10:00:00+00:00",
                    "place": {
                        "county": f"County {home * N_COUNTIES // N_ZIPS} County",
                        "zip": zip_code(home),
                    },
                    "reporter_type": "school",
                    "allegation_types": rng.sample(allegations, k=2),
                    "household_id": f"h{i}",
                    "children": [{"age_years": rng.choice([0.5, 3, 8])}],
                    "caregivers": [
                        {
                            "age_years": 29,
                            "role": "mother",
                            "pregnant": rng.random() < 0.2,
                            "primary_language": rng.choice(["en", "es", "vi"]),
                        }
                    ],
                }
            )
        )
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "services.json"
        path.write_text(json.dumps(build(n, rng)))
        start = time.perf_counter()
        loaded = load_directory(path)
        load_s = time.perf_counter() - start
    print(
        f"loaded {len(loaded.directory)} services, {len(loaded.problems)} problems, "
        f"in {load_s:.2f} s"
    )
    batch = referrals(2000, rng)
    for r in batch[:50]:  # warm-up
        suggest_referrals(loaded.directory, r)
    times, cpu_times, counts = [], [], []
    for r in batch:
        start, cpu_start = time.perf_counter(), time.process_time()
        result = suggest_referrals(loaded.directory, r)
        cpu_times.append(time.process_time() - cpu_start)
        times.append(time.perf_counter() - start)
        counts.append(len(result))
    times.sort()
    us = [t * 1e6 for t in times]
    print(
        f"suggest_referrals over {len(batch)} referrals: median {statistics.median(us):.0f} us, "
        f"p95 {us[int(0.95 * len(us))]:.0f} us, max {us[-1]:.0f} us; "
        f"mean options {statistics.mean(counts):.1f}"
    )
    # The machine may be shared: CPU time per referral is steadier than wall time (the
    # process clock ticks coarsely, so only the mean is reported).
    print(f"CPU time per referral: mean {statistics.mean(cpu_times) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
