"""Each worker follows the directory on disk: a change is loaded, a bad one never replaces it."""

from __future__ import annotations

import shutil

import pytest

from service.directory_holder import DirectoryHolder, signature
from service.referrals import load_directory
from tests.backends import ROOT
from tests.service.referrals.factories import close_service


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "directory"
    shutil.copytree(ROOT / "data" / "directory", copy)
    return copy


def test_follow_loads_a_changed_directory_once(folder) -> None:
    holder = DirectoryHolder(folder, load_directory(folder))
    assert holder.current.active_count == 48
    assert holder.follow() is None  # nothing changed

    close_service(folder, "svc-038")
    assert holder.follow() is None  # seen once: a directory may be being copied
    assert holder.current.active_count == 48
    outcome = holder.follow()  # the same a poll later
    assert outcome is not None and outcome.error is None and outcome.problems == []
    assert holder.current.active_count == 47
    assert holder.current.services["svc-038"].status == "inactive"
    assert holder.follow() is None


def test_a_bad_directory_is_refused_once_and_the_good_one_kept(folder, caplog) -> None:
    holder = DirectoryHolder(folder, load_directory(folder))
    good = holder.current
    descriptor = (folder / "datapackage.json").read_bytes()
    (folder / "datapackage.json").unlink()  # the CSV files alone hold no service
    with caplog.at_level("ERROR", logger="hotline.service.directory"):
        assert holder.follow() is None
        outcome = holder.follow()
        assert holder.follow() is None  # not retried, nor logged, until the files change
    assert outcome is not None
    assert outcome.error.startswith(f"{folder} holds no active service")
    assert holder.current is good
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage() == (
        f"directory not reloaded, the previous one stays in use: {outcome.error}"
    )

    (folder / "datapackage.json").write_bytes(descriptor)
    assert holder.follow() is None
    restored = holder.follow()
    assert restored is not None and restored.error is None
    assert holder.current is not good and holder.current.active_count == 48


def test_a_missing_folder_is_refused_and_the_good_one_kept(folder) -> None:
    holder = DirectoryHolder(folder, load_directory(folder))
    good = holder.current
    shutil.rmtree(folder)
    assert {size for _, size, _ in signature(folder)} == {-1}  # nothing there
    assert holder.follow() is None
    outcome = holder.follow()
    assert outcome is not None
    assert outcome.error.startswith(f"{folder}: no such file or folder")
    assert holder.current is good


def test_only_the_files_the_loader_reads_are_watched(folder, tmp_path) -> None:
    # A datapackage may keep its tables in a subfolder: a change there was not seen. And a
    # file written beside the directory (a log, a backup) reloaded it every poll.
    (folder / "tables").mkdir()
    (folder / "services.csv").rename(folder / "tables" / "services.csv")
    descriptor = folder / "datapackage.json"
    descriptor.write_text(
        descriptor.read_text().replace('"path": "services.csv"', '"path": "tables/services.csv"')
    )
    holder = DirectoryHolder(folder, load_directory(folder))
    assert holder.current.active_count == 48
    (folder / "notes.txt").write_text("not part of the directory")
    assert holder.follow() is None and holder.follow() is None  # nothing it reads changed
    close_service(folder / "tables", "svc-038")
    holder.follow()
    assert holder.follow() is not None and holder.current.active_count == 47
