"""Every model in one import, for migrations and tests."""

from .accounts.models import ApiToken, AuditEvent, User
from .campaigns.models import Campaign, City, District, Invitation, Wave
from .exports.models import MicrodataRow, MicrodataSet
from .pilots.models import BudgetLine, Pilot, PilotAction, PilotRevision, PilotTarget
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .releases.models import DistrictGroup, Pooling, Release, ReleaseCell
from .responses.models import Answer, Draft, IndicatorSummary, Response, SealedResponse, SpentBallot, TextAnswer
from .results.models import Publication
from .weighting.models import WeightSet
from .xlsform.models import ImportedInstance

__all__ = [
    "Answer",
    "ApiToken",
    "AuditEvent",
    "BudgetLine",
    "Campaign",
    "City",
    "District",
    "DistrictGroup",
    "Draft",
    "ImportedInstance",
    "IndicatorSummary",
    "Invitation",
    "MicrodataRow",
    "MicrodataSet",
    "Pilot",
    "PilotAction",
    "PilotRevision",
    "PilotTarget",
    "Pooling",
    "Publication",
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
