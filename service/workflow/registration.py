"""Registering a customer or supplier master as monitored parties: each usable row screened and stored."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from service.engine.screen import ScreeningContext
from service.store.clearances import all_standing
from service.store.monitored import put_party
from service.workflow.monitoring import screen_party
from service.workflow.party_master import read_master

CHUNK = 500  # rows per transaction


def register_master(engine: Engine, context: ScreeningContext, path: Path, encoding: str | None = None,
                    key_id: str = "cli") -> dict[str, Any]:
    """Read, screen and store every usable row; a summary with the counts and each row error."""
    counts: Counter[str] = Counter()
    errors: list[dict[str, Any]] = []
    with Session(engine) as session:
        context = dataclasses.replace(context, standing=all_standing(session))
        for row in read_master(path, encoding):
            counts["rows"] += 1
            if row.error is not None:
                errors.append({"row": row.number, "external_id": row.external_id or None, "error": row.error})
                continue
            result = screen_party(context, row.name, row.country, row.aliases)
            _, created = put_party(session, row.external_id, row.fields(), result, key_id, None)
            counts["registered" if created else "updated"] += 1
            counts[result["status"]] += 1
            if counts["rows"] % CHUNK == 0:
                session.commit()
        session.commit()
    return {"rows": counts["rows"], "registered": counts["registered"], "updated": counts["updated"],
            "screened": {status: counts[status] for status in ("clear", "review", "block")},
            "error_rows": len(errors), "errors": errors}
