"""`verify` names the first record that does not hold together, in words that fit it."""

import pytest
import sqlalchemy as sa

from service.decision_log import PendingRecord, verify_chain


@pytest.mark.parametrize(
    ("removed", "line"),
    [
        # Before: "records 2-2 are missing".
        ([2], "broken at record 3 (score): expected record 2 here; record 2 is missing"),
        ([2, 3], "broken at record 4 (score): expected record 2 here; records 2-3 are missing"),
    ],
)
def test_missing_records_are_named(sqlite_log, removed, line) -> None:
    for n in range(1, 5):
        record = PendingRecord(kind="score", payload="{}", dedupe_key=f"score:{n}")
        sqlite_log.committer.append(record)
    with sqlite_log.engine.begin() as connection:
        # The trigger refuses deletes; someone with DDL rights removes it first.
        connection.execute(sa.text("DROP TRIGGER log_entries_no_delete"))
        for seq in removed:
            connection.execute(sa.text("DELETE FROM log_entries WHERE seq = :s"), {"s": seq})
    assert verify_chain(sqlite_log).line() == line
