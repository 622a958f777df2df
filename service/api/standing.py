"""The reviewers' standing decisions added to the screening context for one request or one file batch."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from service.engine.declaration import Declaration
from service.engine.screen import ScreeningContext
from service.store.clearances import all_standing, standing_for


def with_standing(session: Session, context: ScreeningContext, declarations: list[Declaration]) -> ScreeningContext:
    """The context with the clearances in force and the own deny list for these declarations' parties."""
    standing = standing_for(session, declarations)
    return dataclasses.replace(context, standing=standing) if standing else context


def with_all_standing(session: Session, context: ScreeningContext) -> ScreeningContext:
    """The context with every clearance in force and the whole own deny list (for a file batch)."""
    standing = all_standing(session)
    return dataclasses.replace(context, standing=standing) if standing else context
