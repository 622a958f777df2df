"""What the watched shipments were last screened against: each list entry's digest, the list versions and
the rulebook version. A load compares itself with these; a claim (a conditional UPDATE in the transaction
of the alerts) makes exactly one worker raise the alerts for a change."""

from __future__ import annotations

from sqlalchemy import delete, insert, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.store.database import now
from service.store.workflow_tables import LIST_ENTRY_STATES, ListBaseline, ListEntryState

EntryKey = tuple[str, str]
BASELINE_ID = 1


def read_baseline(session: Session) -> ListBaseline | None:
    """The versions last screened against; None before the first load."""
    return session.get(ListBaseline, BASELINE_ID)


def stored_states(session: Session) -> dict[EntryKey, str]:
    """(list, entry id) -> digest, as last screened against."""
    rows = session.exec(select(ListEntryState.list_name, ListEntryState.entry_id, ListEntryState.entry_hash))
    return {(name, entry_id): digest for name, entry_id, digest in rows.all()}


def save_states(session: Session, changed: dict[EntryKey, str], removed: list[EntryKey]) -> None:
    """Record the new digests of added or changed entries and forget removed ones (caller's transaction)."""
    keys = [*changed, *removed]
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        session.connection().execute(delete(LIST_ENTRY_STATES).where(
            tuple_(col(ListEntryState.list_name), col(ListEntryState.entry_id)).in_(chunk)))
    rows = [{"list_name": name, "entry_id": entry_id, "entry_hash": digest}
            for (name, entry_id), digest in changed.items()]
    for start in range(0, len(rows), 5000):
        session.connection().execute(insert(LIST_ENTRY_STATES), rows[start:start + 5000])


def create_baseline(session: Session, lists_fingerprint: str, rulebook_version: str) -> bool:
    """The first baseline; False if another worker created it first (the caller rolls back)."""
    session.add(ListBaseline(id=BASELINE_ID, lists_fingerprint=lists_fingerprint, rulebook_version=rulebook_version,
                             updated_at=now()))
    try:
        session.flush()
    except IntegrityError:
        return False
    return True


def claim_lists(session: Session, old: str, new: str) -> bool:
    """Move the baseline from list versions `old` to `new`; False if another worker already did."""
    result = session.connection().execute(
        update(ListBaseline).where(col(ListBaseline.id) == BASELINE_ID)
        .where(col(ListBaseline.lists_fingerprint) == old).values(lists_fingerprint=new, updated_at=now()))
    return bool(result.rowcount == 1)


def claim_rules(session: Session, old: str, new: str) -> bool:
    """Move the baseline from rulebook `old` to `new`; False if another worker already did."""
    result = session.connection().execute(
        update(ListBaseline).where(col(ListBaseline.id) == BASELINE_ID)
        .where(col(ListBaseline.rulebook_version) == old).values(rulebook_version=new, updated_at=now()))
    return bool(result.rowcount == 1)
