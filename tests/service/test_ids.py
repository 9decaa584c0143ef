"""Random ids: exactly uuid4().hex's format, from the pooled OS randomness."""

import uuid

import service.ids as ids


class _Fixed:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def take(self) -> bytes:
        return self.chunks.pop(0)


def test_an_id_is_the_version_4_uuid_of_the_same_bytes(monkeypatch) -> None:
    chunks = [bytes(range(16)), b"\xff" * 16, b"\x00" * 16]
    monkeypatch.setattr(ids, "_pool", _Fixed(list(chunks)))
    assert [ids.random_hex_id() for _ in chunks] == [
        uuid.UUID(bytes=c, version=4).hex for c in chunks
    ]
    assert uuid.UUID(bytes=b"\xff" * 16, version=4).hex == "ffffffffffff4fffbfffffffffffffff"


def test_ids_from_the_pool_are_distinct_version_4_uuids() -> None:
    made = [ids.random_hex_id() for _ in range(1000)]
    assert len(set(made)) == 1000
    assert {(uuid.UUID(hex=h).version, uuid.UUID(hex=h).variant) for h in made} == {
        (4, uuid.RFC_4122)
    }


def test_issued_ids_are_recognised_and_nothing_else_is() -> None:
    assert all(ids.could_be_issued(ids.random_hex_id()) for _ in range(1_000))
    assert ids.could_be_issued(uuid.uuid4().hex)  # the form of the ids logged before
    for other in ("0123456789ABCDEF0123456789ABCDEF", "0" * 31, "0" * 33, "0" * 31 + "\x00", ""):
        assert not ids.could_be_issued(other), other
