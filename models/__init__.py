"""Shared core: the referral contract, the feature spec, the score mapping and the registry.

Everything that turns a referral into numbers or a probability into a score lives here, so
training and serving cannot drift apart. This package imports none of the others.
"""

from models.artifact import LinearParams, ModelKind, ScreeningModel
from models.errors import (
    ArtifactNotFound,
    ArtifactTampered,
    FeatureSpecMismatch,
    ModelError,
    RegistryError,
)
from models.features import (
    FEATURE_NAMES,
    FEATURE_SPEC,
    N_FEATURES,
    FeatureDef,
    build_feature_matrix,
    build_features,
    feature_spec_hash,
)
from models.history import champion_lineage, describe_event, rollback_champion, was_promoted
from models.integrity import sha256_file
from models.json_ready import json_ready
from models.referral import (
    AllegationType,
    Caregiver,
    CaregiverRole,
    Child,
    Involvement,
    InvolvementKind,
    Need,
    Place,
    PriorPlacement,
    PriorReport,
    Race,
    Referral,
    ReporterType,
)
from models.registry import ModelRegistry
from models.scorer import Factor, ScoreResult, explain, score_features, score_referral
from models.scoring import (
    BAND_UPPER_SCORES,
    Band,
    Probability,
    ScreeningScore,
    band_for_score,
    probability_to_score,
    ventile_cutpoints,
)

__all__ = [
    "BAND_UPPER_SCORES",
    "FEATURE_NAMES",
    "FEATURE_SPEC",
    "N_FEATURES",
    "AllegationType",
    "ArtifactNotFound",
    "ArtifactTampered",
    "Band",
    "Caregiver",
    "CaregiverRole",
    "Child",
    "Factor",
    "FeatureDef",
    "FeatureSpecMismatch",
    "Involvement",
    "InvolvementKind",
    "LinearParams",
    "ModelError",
    "ModelKind",
    "ModelRegistry",
    "Need",
    "Place",
    "PriorPlacement",
    "PriorReport",
    "Probability",
    "Race",
    "Referral",
    "RegistryError",
    "ReporterType",
    "ScoreResult",
    "ScreeningModel",
    "ScreeningScore",
    "band_for_score",
    "build_feature_matrix",
    "build_features",
    "champion_lineage",
    "was_promoted",
    "describe_event",
    "explain",
    "feature_spec_hash",
    "json_ready",
    "probability_to_score",
    "rollback_champion",
    "score_features",
    "score_referral",
    "sha256_file",
    "ventile_cutpoints",
]
