"""Screening of texts for confidential topics (CON-3) and prohibited content (CON-4)."""

from herald.screening.lexicon import CATEGORIES, AllowedPhrase, Lexicon, Term, load_lexicon
from herald.screening.normalise import NormalisedText, normalise
from herald.screening.screen import (
    CONFIDENTIALITY_REVIEW,
    CONTENT_REVIEW,
    Hit,
    ScreeningResult,
    screen,
    to_violations,
)

__all__ = [
    "CATEGORIES",
    "CONFIDENTIALITY_REVIEW",
    "CONTENT_REVIEW",
    "AllowedPhrase",
    "Hit",
    "Lexicon",
    "NormalisedText",
    "ScreeningResult",
    "Term",
    "load_lexicon",
    "normalise",
    "screen",
    "to_violations",
]
