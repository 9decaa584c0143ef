"""The served audit bundle names the policy and training files by name and SHA-256, no path."""

import hashlib
import json
import shutil

from models import ModelRegistry
from tests.factories import SERVED_BUNDLE
from training.gates import DEFAULT_POLICY_PATH, load_policy
from training.promote import promote_version
from training.register import register_result


def test_no_served_document_names_a_directory_of_the_server(tmp_path, trained, synth_path) -> None:
    # The training file and the registry sit under one directory, the policy under another:
    # neither may appear in anything the API serves.
    data = tmp_path / "agency-extracts" / "train.jsonl"
    data.parent.mkdir()
    shutil.copyfile(synth_path, data)
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    policy = policy_dir / "gate_policy.yaml"
    shutil.copyfile(DEFAULT_POLICY_PATH, policy)
    registry = ModelRegistry(tmp_path / "registry")
    version = register_result(registry, trained, data_path=data)
    promote_version(registry, version, by="ana", reason="first", policy=load_policy(policy))
    audit = registry.version_dir(version) / "audit"
    assert sorted(p.name for p in audit.iterdir()) == sorted(SERVED_BUNDLE)
    for name in SERVED_BUNDLE:
        text = (audit / name).read_text()
        for directory in (tmp_path, DEFAULT_POLICY_PATH.parent):
            assert str(directory) not in text, name
    # metadata.json (never served) keeps the full path for whoever reads the registry.
    assert registry.metadata(version)["data_path"] == str(data)
    gates = json.loads((audit / "gates.json").read_text())["policy"]
    assert (gates["source"], gates["sha256"]) == (
        "gate_policy.yaml",
        hashlib.sha256(policy.read_bytes()).hexdigest(),
    )
    card = (audit / "model_card.md").read_text()
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert trained.metadata["data_sha256"] == digest
    assert f"12000 referrals from `train.jsonl` (SHA-256 {digest}); " in card
