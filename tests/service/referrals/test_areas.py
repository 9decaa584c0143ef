import pytest

from service.referrals.areas import county_key, read_area, read_county_list

NEITHER = (
    "{} is neither a 5-digit ZIP code, a ZIP range such as '94401-94404' nor a county name "
    "such as 'Demo County'"
)


@pytest.mark.parametrize(
    ("name", "counties"),
    [
        ("Demo County", ["Demo County"]),
        ("Alameda County, San Mateo County", ["Alameda County", "San Mateo County"]),
        ("Alameda County and San Mateo County", ["Alameda County", "San Mateo County"]),
        ("Alameda and San Mateo Counties", ["Alameda County", "San Mateo County"]),
        (
            "Alameda, San Mateo & Santa Clara Counties",
            ["Alameda County", "San Mateo County", "Santa Clara County"],
        ),
        ("Lewis and Clark County", ["Lewis and Clark County"]),
        ("Acadia and St. Mary Parishes", ["Acadia Parish", "St. Mary Parish"]),
    ],
)
def test_county_lists_are_split(name, counties):
    assert read_county_list(name) == (counties, [])


def test_zip_ranges_are_expanded_and_bounded():
    reading = read_area(None, "94401-94404, 94410 to 94411; 94420-1234")

    assert sorted(reading.zips) == ["94401", "94402", "94403", "94404", "94410", "94411", "94420"]
    assert reading.problems == []

    refused = read_area(None, "94404-94401 90000-99999 94500")
    assert (sorted(refused.zips), refused.problems) == (
        ["94500"],
        [
            "ZIP range '94404-94401' runs backwards",
            "ZIP range '90000-99999' spans 10000 codes, more than 1000",
        ],
    )
    assert len(read_area(None, "90000-90999").zips) == 1000


def test_text_that_is_neither_a_zip_nor_a_county_is_named():
    reading = read_area("Peninsula", "ZIP codes 94401 and 94402, downtown, Demo County")

    assert (sorted(reading.zips), reading.counties) == (["94401", "94402"], ["Demo County"])
    assert reading.problems == [NEITHER.format("text extent part 'downtown'")]

    named = read_area("Alameda County, Bay Area", None)
    assert (named.counties, named.problems) == (
        ["Alameda County"],
        [NEITHER.format("name part 'Bay Area'")],
    )
    # A name with no county in it is a label, not a list; the extent's ZIPs win over a name.
    assert read_area("Downtown", None).problems == []
    assert read_area("Demo County", "94401").counties == []


@pytest.mark.parametrize(
    "spelling", ["Demo", "Demo County", "demo county.", " DEMO  CO. ", "Demo Parish", "Demo-County"]
)
def test_county_spellings_compare_equal(spelling):
    assert county_key(spelling) == "demo"


def test_county_key_keeps_the_name_itself():
    assert county_key("Prince George's County") == "prince georges"
    assert county_key("Doña Ana County") == county_key("Dona Ana") == "dona ana"
    assert county_key("Miami-Dade County") == "miami dade"
    assert county_key("County") == "county"
