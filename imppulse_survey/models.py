"""Every model in one import, for migrations and tests."""

from .accounts.models import ApiToken, User
from .campaigns.models import Campaign, City, District, Invitation, Wave
from .indicators.models import IndicatorSummary
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .responses.models import Answer, Draft, Response, SealedResponse, SpentBallot, TextAnswer

__all__ = [
    "Answer",
    "ApiToken",
    "Campaign",
    "City",
    "District",
    "Draft",
    "IndicatorSummary",
    "Invitation",
    "Questionnaire",
    "QuestionnaireVersion",
    "Response",
    "SealedResponse",
    "SpentBallot",
    "TextAnswer",
    "User",
    "Wave",
]
