"""Reloading rules and lists without a restart, in every worker process.

An admin's reload is validated and recorded in `rulebook_reloads` by the worker that served it; every
other worker polls that table and loads the same files when a new row appears. Each worker also follows
the list manifest (service/lists/watch.py): a snapshot stored by `lists import` or `lists update` while
the service runs is loaded within one poll; a process with background work then screens again what may
still leave (service.workflow.catch_up, done once whatever the number of processes).

Replicas on several machines follow the same record and the same manifest, so each must end up on the
version the others serve. A worker that cannot (the load fails, or its rules directory holds another
rulebook than the one recorded) stops screening: it is not ready and answers 503 rather than screen on
an older version than its peers, logs why, and tries again every poll until it loads the version in
force. A load never leaves a half-loaded context: the swap is one assignment.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.state import ServiceState
from service.engine.screen import ScreeningContext
from service.lists.watch import ManifestWatch
from service.periodic import Periodic
from service.runtime import settle_memory
from service.store.reloads import latest_reload_version
from service.workflow.catch_up import catch_up

logger = logging.getLogger("service.api")


def swap_context(state: ServiceState, context: ScreeningContext, generation: int) -> None:
    """Put a loaded context in force (one reference assignment: no request sees half of each)."""
    state.context, state.context_error, state.reload_generation = context, None, generation
    state.list_reload_error = None  # every load reads the lists the manifest names now
    settle_memory()


def refuse(state: ServiceState, why: str) -> None:
    """Stop screening in this process (fail closed): not ready, every screening 503, until a load works."""
    state.context, state.context_error = None, why
    logger.error("this process screens nothing until it can load the rules and lists in force: %s", why)


class ReloadWatcher(Periodic):
    """Polls for reloads recorded by other workers and follows them."""

    def __init__(self, state: ServiceState, interval: float) -> None:
        super().__init__("reload-watcher", interval)
        self.state = state
        self.lists = ManifestWatch(state.settings.data_dir)

    def start(self) -> None:
        """Remember the newest reload as already applied, then begin polling."""
        latest = self._latest()
        self.state.reload_generation = latest[0] if latest else 0
        super().start()

    def check(self) -> bool:
        """Follow a newer reload if there is one; True if the context was swapped."""
        latest = self._latest()
        if latest is None or latest[0] <= self.state.reload_generation:
            return False
        generation, version = latest
        with self.state.reload_lock:
            if generation <= self.state.reload_generation:  # this worker recorded it itself meanwhile
                return False
            try:
                context = self.state.load(self.state.settings)
                if version and context.rulebook.version != version:
                    raise ValueError(f"this process's rules directory holds rulebook {context.rulebook.version}, "
                                     f"reload {generation} put {version} in force")
            except Exception as exc:  # not ready until it can load the version the others serve
                refuse(self.state, f"reload {generation} could not be followed: {exc}")
                return False
            swap_context(self.state, context, generation)
        logger.info("followed reload %d: rulebook %s", generation, context.rulebook.version)
        return True

    def _latest(self) -> tuple[int, str] | None:
        try:
            with Session(self.state.engine) as session:
                return latest_reload_version(session)
        except SQLAlchemyError as exc:
            logger.warning("cannot read the reload history: %s", type(exc).__name__)
            return None

    def tick(self) -> bool:
        """One poll per round: recorded reloads first, then the list manifest."""
        self.check()
        self.check_lists()
        return False

    def check_lists(self) -> bool:
        """Load the context again if the list manifest changed; True if the context was swapped."""
        stamp = self.lists.changed()
        if stamp is None:
            return False
        with self.state.reload_lock:
            try:
                context = self.state.load(self.state.settings)
            except Exception as exc:  # not accepted: tried again next poll (a file still arriving on shared storage)
                self.state.list_reload_error = f"{type(exc).__name__}: {exc}"
                refuse(self.state, f"the stored lists could not be loaded: {self.state.list_reload_error}")
                return False
            self.lists.accept(stamp)
            swap_context(self.state, context, self.state.reload_generation)
        logger.info("followed a list change: %s", _list_versions(context))
        if self.state.settings.background:  # screen again what may still leave (one process does: see catch_up)
            catch_up(self.state.engine, self.state.settings, context, writing=self.state.writing)
        return True


def _list_versions(context: ScreeningContext) -> str:
    stamps = context.parties.stamps() if context.parties is not None else []
    return ", ".join(f"{stamp.name} {stamp.version}" for stamp in stamps) or "no lists"
