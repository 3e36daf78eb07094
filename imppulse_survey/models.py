"""Every model in one import, for migrations and tests."""

from .accounts.models import ApiToken, User
from .campaigns.models import Campaign, City, District, Invitation, Wave
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .releases.models import DistrictGroup, Pooling, Release, ReleaseCell
from .responses.models import Answer, Draft, IndicatorSummary, Response, SealedResponse, SpentBallot, TextAnswer
from .weighting.models import WeightSet

__all__ = [
    "Answer",
    "ApiToken",
    "Campaign",
    "City",
    "District",
    "DistrictGroup",
    "Draft",
    "IndicatorSummary",
    "Invitation",
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
