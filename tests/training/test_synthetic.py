import json

import numpy as np
import pytest

from models import Referral
from training.synthetic import SynthConfig, generate, write_jsonl


def _rates(records: list[dict]) -> dict[str, float]:
    si = np.array([r["screened_in"] for r in records])
    removed = np.array([r["removal_2y"] for r in records if r["screened_in"]], dtype=float)
    rereferred = np.array([r["rereferral_2y"] for r in records])
    return {
        "screened_in": float(si.mean()),
        "removal_given_screen_in": float(removed.mean()),
        "rereferral_given_screen_out": float(rereferred[~si].mean()),
    }


def test_the_same_seed_gives_the_same_file(tmp_path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert write_jsonl(SynthConfig(n_referrals=500, seed=3), a) == 500
    write_jsonl(SynthConfig(n_referrals=500, seed=3), b)
    assert a.read_bytes() == b.read_bytes()
    assert not list(tmp_path.glob("*.partial"))


def test_records_follow_the_contract_and_field_rates(synth_path) -> None:
    records = [json.loads(line) for line in synth_path.read_text().splitlines()]
    for r in records[:2000]:
        Referral.model_validate(r["referral"])
    rates = _rates(records)
    # Field targets: ~half screened in, ~13% of screened-in removed within 2 years,
    # ~half of screened-out re-referred within 2 years (Chouldechova et al. 2018).
    assert rates["screened_in"] == pytest.approx(0.50, abs=0.03)
    assert rates["removal_given_screen_in"] == pytest.approx(0.13, abs=0.03)
    assert rates["rereferral_given_screen_out"] == pytest.approx(0.50, abs=0.08)
    # Selective labels: removal is unobserved exactly when the referral was screened out.
    assert all((r["removal_2y"] is None) == (not r["screened_in"]) for r in records)
    # Referrals are emitted in the order received.
    times = [r["referral"]["received_at"][:10] for r in records]
    assert times == sorted(times)


def test_history_is_consistent_across_a_households_referrals(synth_path) -> None:
    by_household: dict[str, list[dict]] = {}
    for line in synth_path.read_text().splitlines():
        r = json.loads(line)
        by_household.setdefault(r["referral"]["household_id"], []).append(r)
    repeated = [rs for rs in by_household.values() if len(rs) >= 2]
    assert len(repeated) > 100
    checked = 0
    for rs in repeated[:200]:
        first, second = rs[0], rs[1]
        day = first["referral"]["received_at"][:10]
        if second["referral"]["received_at"][:10] == day:
            continue  # a same-day report is not yet "prior"
        matches = [
            p
            for p in second["referral"]["prior_reports"]
            if p["report_date"] == day and p["household_id"] == first["referral"]["household_id"]
        ]
        # The first referral is among the second one's prior reports, with its decision.
        assert [m["screened_in"] for m in matches] == [first["screened_in"]]
        checked += 1
    assert checked > 150


def _group_rates(records: list[dict], group: str) -> tuple[float, float]:
    inside = [r for r in records if group in r["referral"]["children"][0]["race"]]
    outside = [r for r in records if group not in r["referral"]["children"][0]["race"]]
    share = len(inside) / len(records)

    def excess_removal(rs: list[dict]) -> float:
        si = [r for r in rs if r["screened_in"]]
        return float(
            np.mean([r["removal_2y"] for r in si]) / np.mean([r["latent_risk"] for r in si])
        )

    return share, excess_removal(inside) / excess_removal(outside)


def test_planted_disparities_appear_and_vanish_with_their_knobs() -> None:
    fair = list(
        generate(SynthConfig(n_referrals=8000, seed=5, surveillance_bias=1.0, label_bias=1.0))
    )
    biased = list(
        generate(SynthConfig(n_referrals=8000, seed=5, surveillance_bias=2.0, label_bias=2.0))
    )
    fair_share, fair_label = _group_rates(fair, "black")
    biased_share, biased_label = _group_rates(biased, "black")
    # Over-reporting at equal risk: the group's share of referrals grows.
    assert biased_share > fair_share + 0.1
    # Label bias: removals exceed what the latent risk explains, for that group only.
    assert fair_label == pytest.approx(1.0, abs=0.12)
    assert biased_label > 1.35


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_referrals": 0}, "n_referrals is 0; it must be at least 1"),
        ({"label_bias": 0}, "label_bias is 0; it must be a positive number"),
        ({"label_bias": float("nan")}, "label_bias is nan; it must be a positive number"),
        (
            {"surveillance_bias": float("inf")},
            "surveillance_bias is inf; it must be a positive number",
        ),
        ({"seed": -1}, "seed is -1; it must be between 0 and 4294967295"),
        ({"seed": 2**32}, "seed is 4294967296; it must be between 0 and 4294967295"),
        ({"screen_in_rate": 1.0}, "screen_in_rate is 1.0; it must be in (0, 1)"),
    ],
)
def test_bad_knobs_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError) as info:
        SynthConfig(**kwargs)
    assert str(info.value) == message
