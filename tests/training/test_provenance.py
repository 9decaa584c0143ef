"""file_name: how the served audit bundle names a file, whatever the machine that recorded it."""

import pytest

from training.provenance import file_name


@pytest.mark.parametrize(
    ("recorded", "name"),
    [
        ("/srv/hotline/var/data/train.jsonl", "train.jsonl"),
        ("var/data/train.jsonl", "train.jsonl"),
        ("train.jsonl", "train.jsonl"),
        ("C:\\Users\\ana\\data\\train.jsonl", "train.jsonl"),
        ("<string>", "<string>"),
    ],
)
def test_only_the_last_component_is_kept(recorded, name) -> None:
    assert file_name(recorded) == name
