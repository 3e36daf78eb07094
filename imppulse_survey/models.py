"""Every model in one import, for migrations and tests."""

from .accounts.models import ApiToken, AuditEvent, User
from .campaigns.models import Campaign, City, District, Invitation, Wave
from .exports.models import MicrodataRow, MicrodataSet
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .releases.models import DistrictGroup, Pooling, Release, ReleaseCell
from .responses.models import Answer, Draft, IndicatorSummary, Response, SealedResponse, SpentBallot, TextAnswer
from .weighting.models import WeightSet

__all__ = [
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Campaign",
    "City",
    "District",
    "DistrictGroup",
    "Draft",
    "IndicatorSummary",
    "Invitation",
    "MicrodataRow",
    "MicrodataSet",
    "Pooling",
    "Questionnaire",
    "QuestionnaireVersion",
    "Release",
    "ReleaseCell",
    "Response",
    "SealedResponse",
    "SpentBallot",
    "TextAnswer",
    "User",
    "Wave",
    "WeightSet",
]
