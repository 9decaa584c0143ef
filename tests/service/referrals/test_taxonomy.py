import pytest

from models.referral import Need
from service.referrals import DEFAULT_TAXONOMY, TaxonomyConfigError, load_taxonomy_map


@pytest.mark.parametrize(
    ("code", "needs"),
    [
        ("108-07-03", {Need.home_visiting}),
        ("102-04", {Need.food}),
        ("102", {Need.food}),
        ("1020", set()),
        ("108-07-01", {Need.mental_health}),
        ("103-05-03", {Need.domestic_violence, Need.housing}),
        ("106-01-04", {Need.substance_use_treatment}),
        ("BD-1800", set()),
    ],
)
def test_open_eligibility_codes_match_exactly_or_as_descendants(code, needs):
    assert DEFAULT_TAXONOMY.needs_for(code) == needs


def test_a_deployment_adds_211_prefixes(tmp_path):
    config = tmp_path / "airs.yaml"
    config.write_text("airs_211:\n  food: [BD-1800]\n  housing: [BH]\n")

    taxonomy = load_taxonomy_map(config)

    assert taxonomy.needs_for("BD-1800.2000") == {Need.food}
    assert taxonomy.needs_for("bd-1800") == {Need.food}
    assert taxonomy.needs_for("BD-18000") == set()
    assert taxonomy.needs_for("BH-1800.8500") == {Need.housing}
    assert taxonomy.needs_for("102-04") == {Need.food}


def test_unknown_need_in_config_is_refused(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("airs_211:\n  groceries: [BD]\n")

    with pytest.raises(TaxonomyConfigError) as info:
        load_taxonomy_map(config)

    assert str(info.value) == (
        f"taxonomy map {config}: airs_211.groceries is not a need; accepted: home_visiting, "
        "prenatal_home_visiting, substance_use_treatment, domestic_violence, housing, "
        "early_learning, parenting, food, mental_health"
    )
