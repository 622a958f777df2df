"""Liveness and readiness; open, without an API key."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.deps import StateDep
from service.api.errors import NotReady, problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process answers."""

    status: str


class Readiness(BaseModel):
    """Everything a screening needs is in place."""

    status: str
    rulebook_version: str
    lists: int
    database: str


@router.get("/healthz", response_model=Health, summary="Alive")
async def healthz() -> Health:
    """The process is up (it may still not be ready to screen)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503), summary="Ready to screen")
def readyz(state: StateDep) -> Readiness:
    """Rules and lists loaded and the database answering; 503 otherwise."""
    context = state.context
    if context is None:
        raise NotReady(f"Rules or lists are not loaded: {state.context_error or 'unknown reason'}")
    try:
        with Session(state.engine) as session:
            session.connection().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise NotReady(f"The database does not answer ({type(exc).__name__}).") from None
    lists = len(context.parties.stamps()) if context.parties is not None else 0
    return Readiness(status="ready", rulebook_version=context.rulebook.version, lists=lists,
                     database=state.engine.url.get_backend_name())
