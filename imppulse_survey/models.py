"""Every model in one import, for migrations and tests."""

from .campaigns.models import Campaign, City, District, Invitation, Wave
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .responses.models import Answer, Draft, Response, TextAnswer

__all__ = [
    "Answer",
    "Campaign",
    "City",
    "District",
    "Draft",
    "Invitation",
    "Questionnaire",
    "QuestionnaireVersion",
    "Response",
    "TextAnswer",
    "Wave",
]
