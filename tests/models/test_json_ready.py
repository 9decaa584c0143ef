"""json_ready: the one conversion of results to what JSON holds (audit, threshold-near, gates)."""

import importlib
import json
import math

import numpy as np

from models import json_ready


def test_containers_numpy_scalars_and_non_finite_floats_are_converted() -> None:
    result = {
        1: (np.int64(3), np.float64(0.25), np.bool_(True), np.str_("black")),
        "nested": [{"rate": np.float64("nan")}, np.float32("inf"), -math.inf],
        "zero_d": np.array(0.5),
        "plain": ["text", None, 2, 1.5],
    }
    ready = json_ready(result)
    assert ready == {
        "1": [3, 0.25, True, "black"],
        "nested": [{"rate": None}, None, None],
        "zero_d": 0.5,
        "plain": ["text", None, 2, 1.5],
    }
    assert [type(v) for v in ready["1"]] == [int, float, bool, str]
    assert type(ready["zero_d"]) is float
    assert json.dumps(ready, allow_nan=False)


def test_the_audit_and_threshold_near_modules_and_promotion_share_it() -> None:
    # By module name: the package attribute ``fairness.audit`` can be the CLI command.
    for name in ("fairness.audit", "fairness.threshold_near", "training.promote"):
        module = importlib.import_module(name)
        assert module.json_ready is json_ready
        assert not hasattr(module, "_json_ready")
