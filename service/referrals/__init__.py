"""Community referral suggestions from an Open Referral (HSDS 3.0) directory.

A *directory* lists community services (home visiting, substance-use treatment, food, ...)
in the Human Services Data Specification, as a tabular data package or as JSON. It is
loaded once into an in-memory :class:`Directory` indexed by need and place. For a referral,
:func:`derive_needs` says what the family needs and why (with the needs the policy rules
suggest, :func:`needs_from_rules`), and :func:`suggest_referrals` applies hard filters
(area, status, age, eligibility, language), ranks what is left
(:mod:`service.referrals.ranking`) and returns several options, each with why it matched and
how to reach it; :func:`match_referral` also returns each need left without an option, and
why (:class:`UnmetNeed`). Screeners record what became of a referral with
:class:`ReferralStatus`.
"""

from service.referrals.directory import Directory, IndexedService, ServiceSite, ZipCentroid
from service.referrals.errors import DirectoryError, ReferralError, TaxonomyConfigError
from service.referrals.family import FamilyProfile, profile_from_referral
from service.referrals.hsds_schema import DirectoryProblem
from service.referrals.loader import DirectoryLoad, load_directory, read_zip_centroids
from service.referrals.matcher import (
    match,
    match_referral,
    match_search,
    search_directory,
    suggest_referrals,
)
from service.referrals.needs import DerivedNeed, derive_needs, needs_from_rules
from service.referrals.ranking import DEFAULT_WEIGHTS, RankingWeights
from service.referrals.status import ReferralStatus, ReferralStatusUpdate
from service.referrals.suggestion import ReferralMatch, ReferralSearchResponse, ReferralSuggestion
from service.referrals.taxonomy import DEFAULT_TAXONOMY, TaxonomyMap, load_taxonomy_map
from service.referrals.unmet import UnmetNeed

__all__ = [
    # loading
    "DirectoryLoad",
    "DirectoryProblem",
    "Directory",
    "IndexedService",
    "ServiceSite",
    "ZipCentroid",
    "load_directory",
    "read_zip_centroids",
    # needs and taxonomy
    "DerivedNeed",
    "derive_needs",
    "needs_from_rules",
    "TaxonomyMap",
    "DEFAULT_TAXONOMY",
    "load_taxonomy_map",
    # matching
    "FamilyProfile",
    "profile_from_referral",
    "RankingWeights",
    "DEFAULT_WEIGHTS",
    "ReferralSuggestion",
    "ReferralSearchResponse",
    "ReferralMatch",
    "UnmetNeed",
    "match",
    "match_referral",
    "match_search",
    "search_directory",
    "suggest_referrals",
    # closed loop
    "ReferralStatus",
    "ReferralStatusUpdate",
    # errors
    "ReferralError",
    "DirectoryError",
    "TaxonomyConfigError",
]
