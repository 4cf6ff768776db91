"""Layer revisions pushed by PostgreSQL (LISTEN/NOTIFY) instead of asked for on every request.

A warm server checks a layer's revision on every review and every cached tile, so that an edit shows
at once. Asked of the database, that is one round trip per request (0.1–2 ms on a busy machine: more
than the cached tile itself). Instead every audited write of a PostGIS store sends a notification
(``pg_notify``, delivered at commit, in commit order) and the store keeps one listening connection on a
thread: a revision once read stays known and is moved forward by the notifications.

- Until the listener runs (and whenever its connection is lost) nothing is trusted: revisions are read
  from the database as before, and what was known is forgotten when it listens again.
- A value read from the database is kept only if the listener has not restarted since the read began
  (a generation number), so a notification missed while it was down cannot hide behind it.
- The store's own commits move the revision forward at once, without waiting for the notification,
  so a server sees its own edits at the very next request.
- Writes made by other processes show after their notification arrives (milliseconds).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import psycopg

CHANNEL = "guotu_audit"


def payload(schema: str, event_id: int, layer: str | None) -> str:
    """The text of a notification: schema, audit id and layer, tab-separated (names hold no tabs)."""
    return f"{schema}\t{event_id}\t{layer or ''}"


class RevisionFeed:
    """The latest audit id per layer of one schema, kept current by notifications."""

    def __init__(self, schema: str, connect: Callable[[], psycopg.Connection], retry_s: float = 2.0) -> None:
        self.schema = schema
        self._connect = connect
        self._retry_s = retry_s
        self._known: dict[str, int] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._live = threading.Event()
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._thread = threading.Thread(target=self._run, name=f"guotu-revisions-{schema}", daemon=True)
        self._thread.start()
        self._live.wait(timeout=5.0)

    @property
    def live(self) -> bool:
        return self._live.is_set()

    def known(self, layer: str) -> tuple[int | None, int]:
        """(the layer's revision if known, the generation to pass to :meth:`learn` after a read)."""
        with self._lock:
            if not self._live.is_set():
                return None, -1
            return self._known.get(layer), self._generation

    def learn(self, layer: str, revision: int, generation: int) -> None:
        """Keep a revision read from the database (ignored if the listener restarted meanwhile)."""
        with self._lock:
            if self._live.is_set() and generation == self._generation:
                self._known[layer] = max(self._known.get(layer, 0), revision)

    def committed(self, revisions: dict[str, int]) -> None:
        """This process committed audit events: their layers' revisions move on now."""
        with self._lock:
            if self._live.is_set():
                for layer, revision in revisions.items():
                    self._known[layer] = max(self._known.get(layer, 0), revision)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    with self._lock:
                        self._known.clear()  # what came while nobody listened is unknown
                        self._generation += 1
                        self._live.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._note(note.payload)
            except Exception:
                pass
            with self._lock:
                self._live.clear()
                self._known.clear()
            self._stop.wait(self._retry_s)

    def _note(self, text: str) -> None:
        with contextlib.suppress(ValueError):
            schema, event_id, layer = text.split("\t", 2)
            if schema == self.schema and layer:
                with self._lock:
                    if layer in self._known:
                        self._known[layer] = max(self._known[layer], int(event_id))
