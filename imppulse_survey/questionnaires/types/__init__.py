"""The registry of item types: every module of this package defines some, and each registers itself."""

from __future__ import annotations

import importlib
import pkgutil

from .base import (
    ITEM_TYPES,
    LONGEST_NUMBER_JSON,
    MAX_CODE,
    MISSING_KINDS,
    NO_CONTEXT,
    XLSFORM_TYPES,
    AnswerContext,
    AnswerProblem,
    ItemType,
    MicrodataColumn,
    Stored,
    XLSFormChoice,
    XLSFormQuestion,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ITEM_TYPES", "LONGEST_NUMBER_JSON", "MAX_CODE", "MISSING_KINDS", "NO_CONTEXT", "XLSFORM_TYPES", "AnswerContext",
           "AnswerProblem", "ItemType", "MicrodataColumn", "Stored", "XLSFormChoice", "XLSFormQuestion"]
