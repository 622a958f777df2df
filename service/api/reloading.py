"""Reloading rules and lists without a restart, in every worker process.

An admin's reload is validated and recorded in `rulebook_reloads` by the worker that served it; every
other worker polls that table and loads the same files when a new row appears. Each worker also follows
the list manifest (service/lists/watch.py): a snapshot stored by `lists import` or `lists update` while
the service runs is loaded within one poll. A load that fails keeps the rulebook and lists in force (fail
closed, never a half-loaded context); a failed list load is logged and shown in /readyz.
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
from service.store.reloads import latest_reload

logger = logging.getLogger("service.api")


def swap_context(state: ServiceState, context: ScreeningContext, generation: int) -> None:
    """Put a loaded context in force (one reference assignment: no request sees half of each)."""
    state.context, state.context_error, state.reload_generation = context, None, generation
    state.list_reload_error = None  # every load reads the lists the manifest names now
    settle_memory()


class ReloadWatcher(Periodic):
    """Polls for reloads recorded by other workers and follows them."""

    def __init__(self, state: ServiceState, interval: float) -> None:
        super().__init__("reload-watcher", interval)
        self.state = state
        self.lists = ManifestWatch(state.settings.data_dir)

    def start(self) -> None:
        """Remember the newest reload as already applied, then begin polling."""
        self.state.reload_generation = self._latest() or 0
        super().start()

    def check(self) -> bool:
        """Follow a newer reload if there is one; True if the context was swapped."""
        latest = self._latest()
        if latest is None or latest <= self.state.reload_generation:
            return False
        with self.state.reload_lock:
            if latest <= self.state.reload_generation:  # this worker recorded it itself meanwhile
                return False
            try:
                context = self.state.load(self.state.settings)
            except Exception as exc:  # keep the rulebook in force; do not retry this reload
                self.state.reload_generation = latest
                logger.error("reload %d could not be followed, the previous rules stay in force: %s", latest, exc)
                return False
            swap_context(self.state, context, latest)
        logger.info("followed reload %d: rulebook %s", latest, context.rulebook.version)
        return True

    def _latest(self) -> int | None:
        try:
            with Session(self.state.engine) as session:
                return latest_reload(session)
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
            except Exception as exc:  # keep the lists in force; retried when the manifest changes again
                self.lists.accept(stamp)
                self.state.list_reload_error = f"{type(exc).__name__}: {exc}"
                logger.error("the list manifest changed but the lists could not be loaded; the previous "
                             "lists stay in force: %s", exc)
                return False
            self.lists.accept(stamp)
            swap_context(self.state, context, self.state.reload_generation)
        logger.info("followed a list change: %s", _list_versions(context))
        return True


def _list_versions(context: ScreeningContext) -> str:
    stamps = context.parties.stamps() if context.parties is not None else []
    return ", ".join(f"{stamp.name} {stamp.version}" for stamp in stamps) or "no lists"
