"""The audit writer: one thread per API process that commits screenings for the requests, several at a time.

A screening is answered only after its audit row (and the stored answer of an Idempotency-Key) is
committed. Committing each request in a thread of its own made every request wait twice: for a thread
of the pool, then for the database's single writer (SQLite) or its own commit flush (PostgreSQL).
Here a request hands its rows to the writer and awaits the outcome; the writer commits whatever has
arrived meanwhile in one transaction, so under load one commit answers many requests. If a shared
transaction fails, each request is committed again on its own, so one request's conflict (a concurrent
retry with the same Idempotency-Key) never costs another its answer.

A screening made with the process's copy of the standing decisions (service/api/standing.py) names the
copy's version; the writer reads the current version after the INSERTs, in the same transaction, and
commits only the screenings made with it. The others are rolled back and their requests told
`StandingChanged`, to screen again with a fresh copy.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi.responses import Response
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.deps import IdempotentRequest
from service.api.errors import StoreUnavailable
from service.api.recording import JSON, commit_answer
from service.api.standing import StandingBook
from service.store.clearances import standing_version
from service.store.database import Writing
from service.store.idempotency import add_answer
from service.store.keys import Caller
from service.store.screenings import NewScreening, PreparedScreenings, prepare_screenings, write_screenings
from service.threadnames import name_os_thread

logger = logging.getLogger("service.api")
MOST_PER_COMMIT = 256  # requests committed together at most: bounds one transaction's size and time
COMPANY_SECONDS = 0.0005  # how long a group waits for one more answer
GATHER_SECONDS = 0.002  # and for all of them, at most
COMING_SECONDS = 0.005  # or, while the event loop is still screening requests, for those


class StandingChanged(Exception):
    """The standing decisions changed after the screening was made: nothing was recorded; screen again."""


@dataclass
class Arrival:
    """A request counted as coming while it is screened (`AuditWriter.screening`)."""

    handed: bool = False  # its answer reached `record`, which counts it from there


@dataclass
class PendingAnswer:
    """A request's audit rows and the answer it may give once they are committed."""

    rows: list[NewScreening]
    caller: Caller
    idempotency: IdempotentRequest | None
    status: int
    body: bytes
    loop: asyncio.AbstractEventLoop
    standing: int | None  # the version of the standing decisions the screening was made with (None: not checked)
    coming: bool = False  # counted as coming until handed in
    outcome: asyncio.Future[Response] = field(init=False)

    def __post_init__(self) -> None:
        self.outcome = self.loop.create_future()

    def settle(self, response: Response | None, error: BaseException | None) -> None:
        """Hand the outcome to the waiting request, on its event loop."""
        self.loop.call_soon_threadsafe(_resolve, self.outcome, response, error)


def _resolve(outcome: asyncio.Future[Response], response: Response | None, error: BaseException | None) -> None:
    if outcome.done():  # the request was cancelled (client gone): the rows are committed all the same
        return
    if error is not None:
        outcome.set_exception(error)
    else:
        assert response is not None
        outcome.set_result(response)


def _prepared(session: Session, group: list[PendingAnswer]) -> PreparedScreenings:
    """The group's rows built and their values bound, before the write lock is taken: a writer holds the
    lock, which the other workers' writers wait for (SQLite), for the INSERTs and the commit only."""
    return prepare_screenings(session.get_bind().dialect, [row for pending in group for row in pending.rows])


def _answer_all(group: list[PendingAnswer]) -> None:
    """Answer every request of a committed group with one wake-up of each event loop, not one per
    request (waking a loop from another thread is a system call and a thread switch)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[PendingAnswer]] = {}
    for pending in group:
        by_loop.setdefault(pending.loop, []).append(pending)
    for loop, answered in by_loop.items():
        loop.call_soon_threadsafe(_resolve_answered, answered)


def _resolve_answered(answered: list[PendingAnswer]) -> None:
    for pending in answered:
        _resolve(pending.outcome, Response(pending.body, status_code=pending.status, media_type=JSON), None)


# The signals that stop or restart a process of the service: its main thread handles them.
STOP_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP")
                         if hasattr(signal, name))


def _keep_stop_signals_away() -> None:
    """Let the stop signals reach the process's other threads, never this one.

    The kernel hands a signal sent to the process to any thread. CPython's SimpleQueue.get(timeout)
    interrupted by one waits forever when its deadline has passed by the time the thread holds the
    interpreter's lock again, which with the writer's half-millisecond waits is the usual case: a worker
    told to stop under load kept the answers its writer had gathered uncommitted, so their requests never
    ended and the worker never exited. (Where threads cannot block signals, nothing changes.)
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


class AuditWriter:
    """Commits pending answers from a queue on a daemon thread, in groups; `record` awaits one answer."""

    def __init__(self, sessions: Callable[[], Session], writing: Writing, book: StandingBook | None = None,
                 connections: Callable[[], int | None] = lambda: None,
                 committed: Callable[[Connection], None] = lambda _connection: None) -> None:
        self.sessions = sessions  # a new session each call (replaceable in tests)
        self.writing = writing  # the process's write lock for SQLite, else nothing
        self.book = book  # the process's copy of the standing decisions, dropped when found outdated
        self.connections = connections  # the HTTP connections open in this process (None: not known)
        # told of each transaction committed, with its connection, under the write lock (SQLite:
        # AuditCheckpoints)
        self.committed = committed
        self._queue: queue.SimpleQueue[PendingAnswer | None] = queue.SimpleQueue()
        self._handing: list[PendingAnswer] = []  # answers of this turn of the event loop, not handed in yet
        # Requests of this process being screened on its event loop, or answered and not handed in yet:
        # changed on the event loop only, read by the writer (an int read is atomic).
        self._coming = 0
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)

    def start(self) -> None:
        """Begin taking pending answers."""
        self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def waiting(self) -> int:
        """Answers queued and not yet taken for a commit."""
        return self._queue.qsize()

    @contextmanager
    def screening(self) -> Iterator[Arrival]:
        """Count a request as coming while the event loop screens it, so that a group being gathered
        waits for its answer (up to COMING_SECONDS) rather than committing without it.

        With never-seen names a screening takes over a millisecond, longer than a group waits for
        company: the four requests of a worker's connections were committed in twos and ones, each
        commit costing nearly as much as one of four, while the loop screened the others. Waiting for
        them brings the groups back to the connections' number, as with names screened before."""
        arrival = Arrival()
        self._coming += 1
        try:
            yield arrival
        finally:
            if not arrival.handed:
                self._coming -= 1

    async def record(self, rows: list[NewScreening], caller: Caller, idempotency: IdempotentRequest | None,
                     status: int, body: bytes, standing: int | None = None, arrival: Arrival | None = None,
                     ) -> Response:
        """The answer once `rows` (and the stored answer) are committed; StoreUnavailable (503) if not,
        StandingChanged if the standing decisions are no longer at version `standing`. `arrival`: the
        request was counted as coming (`screening`), until its answer is handed in."""
        pending = PendingAnswer(rows, caller, idempotency, status, body, asyncio.get_running_loop(), standing)
        if arrival is not None and not arrival.handed:
            arrival.handed = pending.coming = True
        # Handed in with the other answers of this turn of the event loop, once it has run the handlers it
        # had ready: the writer finds them together rather than one by one as the loop gets to each. With
        # slower screenings (never-seen names) the groups grew from about 2 to 3, and the CPU per request
        # of those fell by about a tenth. (An answer still here when the loop closes was neither recorded
        # nor sent.)
        self._handing.append(pending)
        if len(self._handing) == 1:
            pending.loop.call_soon(self._hand_in)
        return await asyncio.shield(pending.outcome)

    def _hand_in(self) -> None:
        handing, self._handing = self._handing, []
        for pending in handing:
            self._queue.put(pending)
        self._coming -= sum(pending.coming for pending in handing)

    def _run(self) -> None:
        name_os_thread()
        _keep_stop_signals_away()
        stopping = False
        while not stopping:
            group = self._gathered(self._queue.get())
            stopping = None in group
            self._commit([pending for pending in group if pending is not None])

    def _gathered(self, first: PendingAnswer | None) -> list[PendingAnswer | None]:
        """`first` and the answers that follow it closely: each may come up to COMPANY_SECONDS after the
        last one, until MOST_PER_COMMIT or GATHER_SECONDS in all; while the event loop is screening
        requests (`screening`), up to COMING_SECONDS in all. Under load the event loop hands in an
        answer every few tenths of a millisecond, and committing them together costs far less than one
        by one; a lone request waits COMPANY_SECONDS at most.

        When every open connection has its answer in the group, no other answer can come (a connection
        sends its next request after this one's answer): the group is committed at once. Under load the
        half millisecond each group waited after its last answer left the worker idle; a client sending
        one request at a time no longer waits it either."""
        group = [first]
        started = time.monotonic()
        while first is not None and len(group) < MOST_PER_COMMIT:
            connections = self.connections()
            if connections is not None and len(group) >= connections:
                break
            now = time.monotonic()
            coming = self._coming > 0
            deadline = started + (COMING_SECONDS if coming else GATHER_SECONDS)
            # An answer being screened is waited for in one go, since its hand-in wakes the writer. Waking
            # every COMPANY_SECONDS meanwhile took the interpreter's lock from the event loop for nothing:
            # 2-3 times per group with never-seen names. (A request that ends without an answer, an error,
            # makes the group wait until COMING_SECONDS.)
            wait = deadline - now if coming else min(COMPANY_SECONDS, deadline - now)
            try:
                pending = self._queue.get_nowait() if wait <= 0 else self._queue.get(timeout=wait)
            except queue.Empty:
                if self._coming > 0 and time.monotonic() < started + COMING_SECONDS:
                    continue  # an answer is still being screened
                break
            group.append(pending)
            if pending is None:
                break
        return group

    def _commit(self, group: list[PendingAnswer]) -> None:
        if len(group) == 1:
            self._commit_alone(group[0])
        elif group and not self._commit_together(group):
            for pending in group:
                self._commit_alone(pending)

    def _commit_together(self, group: list[PendingAnswer]) -> bool:
        """One transaction for the whole group; False (nothing committed) if it failed."""
        try:
            with self.sessions() as session:
                prepared = _prepared(session, group)
                with self.writing():
                    self._write_together(session, prepared, group)
                    outdated = self._outdated(session, group)
                    if outdated:
                        session.rollback()
                    else:
                        session.commit()
                        self._tell_committed(session)
        except Exception as exc:  # (not only the database's errors: the thread must outlive any failure)
            logger.warning("a shared audit commit of %d answers failed (%s); committing each alone",
                           len(group), type(exc).__name__)
            return False
        if outdated:  # nothing was committed: screen those again, commit the others (fewer each time)
            for pending in outdated:
                pending.settle(None, StandingChanged())
            again = {id(pending) for pending in outdated}
            self._commit([pending for pending in group if id(pending) not in again])
            return True
        _answer_all(group)
        return True

    @staticmethod
    def _write_together(session: Session, prepared: PreparedScreenings, group: list[PendingAnswer]) -> None:
        """The group's screenings and the stored answers of its Idempotency-Keys, in the session's transaction."""
        write_screenings(session, prepared)
        for pending in group:
            if pending.idempotency is not None:
                add_answer(session, pending.caller.key_id, pending.idempotency.key,
                           pending.idempotency.request_hash, pending.status, pending.body)

    def _tell_committed(self, session: Session) -> None:
        """After a commit, still under the write lock: the checkpoints' turn. Whatever happens there, the
        commit stands and its requests are answered."""
        try:
            self.committed(session.connection())
        except Exception as exc:
            logger.warning("after an audit commit: %s", type(exc).__name__)

    def _outdated(self, session: Session, group: list[PendingAnswer]) -> list[PendingAnswer]:
        """The screenings made with standing decisions older than the database's (read after the INSERTs,
        so on SQLite under the write lock: no change can commit before this transaction does)."""
        checked = [pending for pending in group if pending.standing is not None]
        if not checked:
            return []
        version = standing_version(session)
        if self.book is not None:
            self.book.outdated(version)
        return [pending for pending in checked if pending.standing != version]

    def _commit_alone(self, pending: PendingAnswer) -> None:
        """One request in its own transaction; its outcome is the answer, a replay, or the problem."""
        try:
            with self.sessions() as session:
                prepared = _prepared(session, [pending])
                with self.writing():
                    write_screenings(session, prepared)
                    if self._outdated(session, [pending]):
                        session.rollback()
                        pending.settle(None, StandingChanged())
                        return
                    response = commit_answer(session, pending.caller, pending.idempotency, pending.status,
                                             pending.body)
                    self._tell_committed(session)  # (a replayed answer counts too: harmless)
        except SQLAlchemyError as exc:  # the INSERT itself failed (commit_answer handles the commit)
            logger.error("audit write failed: %s", type(exc).__name__)
            pending.settle(None, StoreUnavailable(
                "The audit record could not be written; nothing was screened. Retry later."))
        except Exception as exc:  # an ApiError from commit_answer (503, 409), or a bug: never an answer
            pending.settle(None, exc)
        else:
            pending.settle(response, None)
