"""What a screening was made with besides rules and lists: the software version and the settings in force.

An auditor asking why a shipment was cleared in March needs the thresholds of March: a match score of 85
is a review at the default thresholds and a block at a block threshold of 80. Every recorded screening
and name match therefore carries this stamp.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel, Field

from service.settings import Settings

PACKAGE = "export-screen"


class Thresholds(BaseModel):
    """The settings that change verdicts (EXPORT_SCREEN_* of the same names)."""

    review_threshold: float = Field(description="Party match score from which a hit is a review.")
    block_threshold: float = Field(description="Party match score from which a hit is a block.")
    export_date_past_days: int = Field(description="An export date further back than this is a review.")
    list_max_age_days: dict[str, float] = Field(
        description="Expected update interval per list (days); an older snapshot makes verdicts review."
    )
    list_default_max_age_days: float = Field(description="Expected update interval of any other stored list.")


class ScreeningStamp(BaseModel):
    """The software version and the verdict-changing settings in force when a screening was made."""

    software_version: str = Field(description="Version of the export-screen package that answered.")
    thresholds: Thresholds


@lru_cache(maxsize=1)
def software_version() -> str:
    """The installed package's version (read once: it cannot change while the process runs)."""
    try:
        return version(PACKAGE)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def stamp_of(settings: Settings) -> ScreeningStamp:
    """The stamp for screenings made under `settings`."""
    return ScreeningStamp(
        software_version=software_version(),
        thresholds=Thresholds(
            review_threshold=settings.review_threshold, block_threshold=settings.block_threshold,
            export_date_past_days=settings.export_date_past_days,
            list_max_age_days=dict(settings.list_max_age_days),
            list_default_max_age_days=settings.list_default_max_age_days,
        ),
    )
