import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from models.referral import Need
from service.referrals import DirectoryError, load_directory, search_directory

from .factories import DEMO, OFFICIAL

SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
AREA_ID = "381c64f1-a724-4884-9c21-ac96c21cca3e"
BAD_COORDINATES = (
    "latitude 100 / longitude 101 is outside -90..90 / -180..180; coordinates are ignored"
)
GEOJSON_AREA = (
    "cannot tell which places this area covers (extent_type 'geojson'); give 5-digit postal "
    "codes as a text extent, or a county name such as 'Demo County' as the name"
)


def test_official_tabular_example_loads_with_its_four_known_problems():
    loaded = load_directory(OFFICIAL / "csv")

    assert loaded.format == "tabular"
    assert len(loaded.directory) == 1
    assert loaded.directory.organization_count == 1
    assert [str(p) for p in loaded.problems] == [
        f"locations.csv: location '{LOCATION_ID}': organization_id "
        "'985e4a42-bd9f-4edc-911d-0243a4640aca' does not match any organization in this "
        "directory; the link is ignored",
        "taxonomy_terms.csv: taxonomy_term '3f7b145d-84af-42d7-8fae-eaca714b02b2': taxonomy_id "
        "'07ff6aee-a219-438c-b694-d2fcb6c5373b' does not match any taxonomy in this directory; "
        "the link is ignored",
        f"locations.csv: location '{LOCATION_ID}': {BAD_COORDINATES}",
        f"service_areas.csv: service_area '{AREA_ID}': {GEOJSON_AREA}",
    ]
    assert {p.severity for p in loaded.problems} == {"warning"}
    service = loaded.directory.services[SERVICE_ID]
    assert service.name == "Community Counselling"
    assert service.organization == "Example Organization Inc."
    assert (service.minimum_age, service.maximum_age) == (12, 100)
    assert service.languages == frozenset({"ur"})
    assert service.phone == "+44 1234 234567 ext. 100"
    # Its one schedule is valid on 2005-01-01 only, so no hours are shown on later days.
    assert service.hours is None
    assert service.hours_on(dt.date(2005, 1, 1)) == "Thu, Fri 10:00-18:00"
    assert service.hours_on(dt.date(2005, 1, 2)) is None
    assert service.sites[0].address == "1-30 Main Street, MyVillage, MyCity, MyState ABC 1234"
    assert service.sites[0].latitude is None


def test_official_json_folder_merges_the_repeated_views_of_one_service():
    loaded = load_directory(OFFICIAL / "json")

    assert loaded.format == "json"
    assert len(loaded.directory) == 1
    assert loaded.directory.organization_count == 1
    assert [str(p) for p in loaded.problems] == [
        f"organization_full.json: location '{LOCATION_ID}': {BAD_COORDINATES}",
        f"organization_full.json: service_area '{AREA_ID}': {GEOJSON_AREA}",
    ]
    assert loaded.skipped_files == [
        "base.json",
        "location.json",
        "organization_list.json",
        "taxonomy.json",
        "taxonomy_list.json",
        "taxonomy_term.json",
        "taxonomy_term_list.json",
    ]
    assert loaded.directory.services[SERVICE_ID].codes == ("code",)


def test_official_service_full_file_loads_alone():
    loaded = load_directory(OFFICIAL / "json" / "service_full.json")

    assert list(loaded.directory.services) == [SERVICE_ID]
    assert [p.record_type for p in loaded.problems] == ["location", "service_area"]


def test_demo_directory_loads_without_problems():
    loaded = load_directory(DEMO)

    assert loaded.problems == []
    assert len(loaded.directory) == 50
    assert loaded.directory.organization_count == 12
    assert len(loaded.directory.zip_centroids) == 30
    covered = {need for s in loaded.directory.services.values() for need in s.needs}
    assert covered == set(Need)


def _copy_official(tmp_path: Path) -> Path:
    target = tmp_path / "pkg"
    shutil.copytree(OFFICIAL / "csv", target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_malformed_rows_are_reported_per_record_and_the_rest_loads(tmp_path):
    pkg = _copy_official(tmp_path)
    services = pkg / "services.csv"
    header = services.read_text("utf-8").splitlines()[0]
    columns = header.split(",")

    def row(**values: str) -> str:
        return ",".join(values.get(c, "") for c in columns)

    _append(services, row(id="s-ok", name="Fine", status="active", minimum_age="3"))
    _append(services, row(id="s-age", name="Bad age", status="active", minimum_age="twelve"))
    _append(services, row(id="s-status", name="Bad status", status="open"))
    _append(
        services, row(id="s-order", name="Ages", status="active", minimum_age="10", maximum_age="5")
    )
    _append(services, row(id="s-noname", status="active"))
    _append(services, row(name="No id", status="active"))
    _append(services, row(id="s-ok", name="Again", status="active"))
    (pkg / "service_at_location.csv").unlink()

    loaded = load_directory(pkg)

    assert sorted(loaded.directory.services) == [SERVICE_ID, "s-ok"]
    errors = [str(p) for p in loaded.problems if p.severity == "error"]
    assert errors == [
        "services.csv: service 'row 8': record has no id; it was skipped",
        "services.csv: service 's-ok': duplicate id in services.csv; the first record (row 3) "
        "was kept",
        "datapackage.json: resource 'service_at_location': resource file "
        "service_at_location.csv is listed in datapackage.json but does not exist",
        "services.csv: service 's-age': minimum_age: Input should be a valid number, unable "
        "to parse string as a number (got 'twelve'); the record was skipped",
        "services.csv: service 's-status': status: Input should be 'active', 'inactive', "
        "'defunct' or 'temporarily closed' (got 'open'); the record was skipped",
        "services.csv: service 's-order': minimum_age 10 is greater than maximum_age 5; the "
        "minimum must not exceed the maximum; the record was skipped",
        "services.csv: service 's-noname': name: Field required; the record was skipped",
    ]
    warnings = [
        str(p) for p in loaded.problems if p.severity == "warning" and p.record_id == "s-ok"
    ]
    assert warnings == [
        "services.csv: service 's-ok': service has no service_area, so it cannot be matched "
        "to a family's place"
    ]


def test_dangling_service_link_is_a_warning(tmp_path):
    pkg = _copy_official(tmp_path)
    _append(pkg / "phones.csv", "p-x,,nope,,,,555-0100,,voice,")

    loaded = load_directory(pkg)

    assert (
        "phones.csv: phone 'p-x': service_id 'nope' does not match any service in this "
        "directory; the link is ignored"
    ) in [str(p) for p in loaded.problems]
    assert len(loaded.problems) == 5


def test_malformed_json_service_is_reported(tmp_path):
    path = tmp_path / "services.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "a",
                    "name": "A",
                    "status": "active",
                    "service_areas": [{"id": "area-a", "name": "Demo County"}],
                },
                {"id": "b", "name": "B", "status": "active", "maximum_age": -1},
                {"id": "c", "name": "C", "status": "active", "phones": [{"number": "1"}]},
            ]
        )
    )

    loaded = load_directory(path)

    assert sorted(loaded.directory.services) == ["a", "c"]
    assert loaded.directory.services["a"].counties == frozenset({"demo county"})
    assert [str(p) for p in loaded.problems if p.severity == "error"] == [
        "services.json: phone '[2].phones[0]': record has no id; it was skipped",
        "services.json: service 'b': maximum_age: Input should be greater than or equal to 0 "
        "(got -1); the record was skipped",
    ]


def test_missing_path_and_broken_json_raise(tmp_path):
    with pytest.raises(DirectoryError) as missing:
        load_directory(tmp_path / "nowhere")
    assert str(missing.value) == (
        f"{tmp_path / 'nowhere'}: no such file or folder; expected a datapackage.json, a .json "
        "file or a folder"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(DirectoryError, match=r"broken.json: not readable as JSON"):
        load_directory(broken)


def _package(folder: Path, **files: bytes) -> Path:
    """Write a tabular package of the given CSVs (resource name = file stem)."""
    folder.mkdir()
    resources = [{"name": name, "path": f"{name}.csv"} for name in files]
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources}))
    for name, content in files.items():
        (folder / f"{name}.csv").write_bytes(content)
    return folder


SERVICE_CSV = b"id,name,status\ns-1,Pantry,active\n"
AREA_CSV = b"id,service_id,name\na-1,s-1,Demo County\n"


def test_csv_not_utf8_or_with_an_oversized_field_is_reported_and_skipped(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=SERVICE_CSV,
        service_area=AREA_CSV,
        # Latin-1 from a spreadsheet: "Café" with a single 0xe9 byte.
        phone=b"id,service_id,number,description\np-1,s-1,555-0100,Caf\xe9\n",
        language=b"id,service_id,code,note\nl-1,s-1,es," + b"x" * 200_000 + b"\n",
    )

    loaded = load_directory(pkg)

    assert [str(p) for p in loaded.problems] == [
        "phone.csv: resource 'phone': not UTF-8 text ('utf-8' codec can't decode byte 0xe9 "
        "in position 53: invalid continuation byte); save it as UTF-8; the file was skipped",
        "language.csv: resource 'language': not readable as CSV at line 2 (field larger than "
        "field limit (131072)); the file was skipped",
    ]
    assert {p.severity for p in loaded.problems} == {"error"}
    service = loaded.directory.services["s-1"]
    assert (service.phone, service.languages, service.counties) == (
        None,
        frozenset({"en"}),
        frozenset({"demo county"}),
    )


def test_zip_centroids_out_of_range_or_not_finite_are_reported(tmp_path):
    pkg = _package(tmp_path / "pkg", service=SERVICE_CSV, service_area=AREA_CSV)
    (pkg / "zip_centroids.csv").write_text(
        "zip,county,latitude,longitude\n"
        "90001,Demo County,34.0,-118.3\n"
        "90002,Demo County,inf,-118.3\n"
        "90003,Demo County,nan,nan\n"
        "90004,Demo County,95,-118.3\n"
        "90005,Demo County,34.0,-200\n"
    )

    loaded = load_directory(pkg)

    assert [str(p) for p in loaded.problems] == [
        f"zip_centroids.csv: zip_centroid '{zip_code}': zip '{zip_code}', latitude '{lat}', "
        f"longitude '{lon}' are not a 5-digit ZIP and coordinates within -90..90 / -180..180"
        for zip_code, lat, lon in [
            ("90002", "inf", "-118.3"),
            ("90003", "nan", "nan"),
            ("90004", "95", "-118.3"),
            ("90005", "34.0", "-200"),
        ]
    ]
    assert list(loaded.directory.zip_centroids) == ["90001"]
    # An infinite latitude had failed every search in its ZIP (math domain error).
    result = search_directory(loaded.directory, needs=[Need.food], zip_code="90002", county=None)
    assert result == []


def test_zip_centroids_file_not_utf8_is_reported(tmp_path):
    pkg = _package(tmp_path / "pkg", service=SERVICE_CSV, service_area=AREA_CSV)
    (pkg / "zip_centroids.csv").write_bytes(
        b"zip,county,latitude,longitude\n90001,Do\xf1a Ana County,32.3,-106.8\n"
    )

    loaded = load_directory(pkg)

    assert [str(p) for p in loaded.problems] == [
        "zip_centroids.csv: resource 'zip_centroid': not UTF-8 text ('utf-8' codec can't "
        "decode byte 0xf1 in position 38: invalid continuation byte); save it as UTF-8; the "
        "file was skipped"
    ]
    assert loaded.directory.zip_centroids == {}


def test_capacity_times_with_and_without_an_offset_compare_and_must_be_finite(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=SERVICE_CSV,
        service_area=AREA_CSV,
        service_capacity=(
            b"id,service_id,available,updated\n"
            b"c-1,s-1,4,2025-03-01T12:00:00Z\n"
            b"c-2,s-1,0,2025-03-02\n"
            b"c-3,s-1,inf,2025-03-03\n"
        ),
    )

    loaded = load_directory(pkg)

    # The latest finite row, 2 March (read as UTC midnight), says there is no place.
    service = loaded.directory.services["s-1"]
    assert (service.capacity, service.capacity_available) == ("waitlist", 0)
    assert [str(p) for p in loaded.problems] == [
        "service_capacity.csv: service_capacity 'c-3': available: Input should be a finite "
        "number (got 'inf'); the record was skipped"
    ]


def test_verification_dates_in_the_future_are_reported_once_and_not_counted(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=(
            b"id,name,status,assured_date,last_modified\n"
            # A typo for 2025: the last_modified of 2026-02-01 is what was really verified.
            b"s-typo,Typo,active,2052-02-01,2026-02-01T09:00:00Z\n"
            b"s-both,Both,active,2027-01-01,2027-01-02T00:00:00Z\n"
            # A day after loading: the directory's clock may be a time zone ahead.
            b"s-zone,Zone,active,2026-03-02,\n"
            b"s-today,Today,active,2026-03-01,2025-12-31T23:00:00-05:00\n"
        ),
        service_area=(
            b"id,service_id,name\n"
            b"a-1,s-typo,Demo County\na-2,s-both,Demo County\n"
            b"a-3,s-zone,Demo County\na-4,s-today,Demo County\n"
        ),
    )

    loaded = load_directory(pkg, as_of=dt.date(2026, 3, 1))

    assert [(p.severity, str(p)) for p in loaded.problems] == [
        (
            "warning",
            "service.csv: service 's-typo': assured_date 2052-02-01 is more than a day after "
            "2026-03-01, the day the directory was loaded; a record cannot be verified in the "
            "future, so it is not counted as a verification",
        ),
        (
            "warning",
            "service.csv: service 's-both': assured_date 2027-01-01 and last_modified "
            "2027-01-02 are more than a day after 2026-03-01, the day the directory was "
            "loaded; a record cannot be verified in the future, so they are not counted as a "
            "verification",
        ),
    ]
    verified = {sid: s.verified for sid, s in loaded.directory.services.items()}
    assert verified == {
        "s-typo": dt.date(2026, 2, 1),
        "s-both": None,
        "s-zone": dt.date(2026, 3, 2),
        "s-today": dt.date(2026, 3, 1),
    }


def test_a_verification_date_is_judged_against_today_by_default(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=b"id,name,status,assured_date\ns-1,Pantry,active,9999-12-31\n",
        service_area=AREA_CSV,
    )

    before = dt.date.today()
    loaded = load_directory(pkg)
    after = dt.date.today()  # the load may run over midnight

    assert [p.message for p in loaded.problems] in [
        [
            f"assured_date 9999-12-31 is more than a day after {day.isoformat()}, the day the "
            "directory was loaded; a record cannot be verified in the future, so it is not "
            "counted as a verification"
        ]
        for day in (before, after)
    ]
    assert loaded.directory.services["s-1"].verified is None


def test_a_folder_without_services_is_reported_not_loaded_silently_empty(tmp_path):
    # HSDS CSVs without their datapackage.json: read as a JSON folder holding nothing.
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "services.csv").write_bytes(SERVICE_CSV)

    loaded = load_directory(folder)

    assert len(loaded.directory) == 0
    assert [(p.severity, str(p)) for p in loaded.problems] == [
        (
            "error",
            f"export: directory '{folder}': no service records were found; expected a "
            "datapackage.json with a 'service' resource, or .json files holding services; "
            "the directory is empty",
        )
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "datapackage.json",
            '{"resources": ["service"]}',
            "not a readable data package descriptor (every item of 'resources' must be an object)",
        ),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "not readable as JSON (maximum recursion"),
    ],
)
def test_malformed_descriptor_or_deep_json_is_a_directory_error(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(DirectoryError) as info:
        load_directory(path)

    assert str(info.value).startswith(f"{path}: {reason}")


def test_a_resource_named_by_a_list_is_skipped_as_not_hsds(tmp_path):
    path = tmp_path / "datapackage.json"
    path.write_text('{"resources": [{"name": ["service"], "path": "services.csv"}]}')

    loaded = load_directory(path)

    assert [(p.severity, str(p)) for p in loaded.problems] == [
        (
            "error",
            f"datapackage.json: directory '{path}': no service records were found; expected "
            "a datapackage.json with a 'service' resource, or .json files holding services; "
            "the directory is empty",
        )
    ]


def test_service_areas_list_counties_and_zip_ranges_and_name_what_is_ignored(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=b"id,name,status\ns-1,Pantry,active\ns-2,Shelter,active\ns-3,Clinic,active\n",
        service_area=(
            b"id,service_id,name,extent,extent_type\n"
            b'a-1,s-1,"Alameda County, San Mateo County",,\n'
            b'a-2,s-2,Peninsula,"94401-94404, downtown, 94499-94410",text\n'
            b"a-3,s-3,Everywhere,90000-99999,text\n"
        ),
    )

    loaded = load_directory(pkg)

    services = loaded.directory.services
    assert services["s-1"].counties == frozenset({"alameda county", "san mateo county"})
    assert sorted(services["s-2"].zips) == ["94401", "94402", "94403", "94404"]
    assert [str(p) for p in loaded.problems] == [
        "service_area.csv: service_area 'a-2': text extent part 'downtown' is neither a "
        "5-digit ZIP code, a ZIP range such as '94401-94404' nor a county name such as "
        "'Demo County'; ZIP range '94499-94410' runs backwards; these are ignored",
        "service_area.csv: service_area 'a-3': ZIP range '90000-99999' spans 10000 codes, "
        "more than 1000; it is ignored, so this area covers no place",
    ]
    assert {p.severity for p in loaded.problems} == {"warning"}


def test_interpretation_that_says_none_is_no_interpretation(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=(
            b"id,name,status,interpretation_services\n"
            b"s-1,One,active,None\ns-2,Two,active,N/A\ns-3,Three,active,none available\n"
            b"s-4,Four,active,Phone interpreters\n"
        ),
        service_area=b"id,service_id,name\na-1,s-1,Demo County\na-2,s-2,Demo County\n"
        b"a-3,s-3,Demo County\na-4,s-4,Demo County\n",
    )

    loaded = load_directory(pkg)

    # None is what the language filter reads as "no interpretation offered".
    interpretation = {sid: s.interpretation for sid, s in loaded.directory.services.items()}
    assert interpretation == {"s-1": None, "s-2": None, "s-3": None, "s-4": "Phone interpreters"}


def test_schedules_with_validity_dates_are_shown_only_while_valid(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        service=SERVICE_CSV,
        service_area=AREA_CSV,
        schedule=(
            b"id,service_id,valid_from,valid_to,freq,byday,bymonthday,opens_at,closes_at\n"
            b"h-1,s-1,,2025-03-31,WEEKLY,MO,,09:00,12:00\n"
            b"h-2,s-1,2025-04-01,,MONTHLY,1TU,,09:00,12:00\n"
            b"h-3,s-1,,,MONTHLY,,15th,09:00,12:00\n"
        ),
    )

    loaded = load_directory(pkg, as_of=dt.date(2025, 3, 1))

    service = loaded.directory.services["s-1"]
    assert service.hours == "Mon 09:00-12:00"
    assert service.hours_on(dt.date(2025, 4, 1)) == "1st Tue 09:00-12:00"
    assert [str(p) for p in loaded.problems] == [
        "schedule.csv: schedule 'h-3': bymonthday: expected days of the month separated by "
        "commas: 1 to 31, or -1 (the last day) to -31 (got '15th'); the record was skipped"
    ]
