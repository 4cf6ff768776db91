"""The Store protocol: the one small interface every persistence backend implements.

A store holds layers (feature tables in CGCS2000), plan editions with validity dates, and an
append-only audit trail. Reads are plain calls; every write happens inside ``transaction()``, which
commits everything or nothing and records an audit event for each write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from guotu.core.features import FeatureBatch

EDITION_STATUSES = ("draft", "approved", "superseded")
GEOMETRY_TYPES = (
    "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
)
EDITION_COLUMN = "guotu_edition"


@dataclass(frozen=True)
class LayerInfo:
    """A layer's schema and summary."""

    name: str
    title: str
    geometry_type: str
    fields: dict[str, str]
    versioned: bool
    count: int = 0
    bounds: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Edition:
    """One edition (version) of a plan layer, with the dates it is in force."""

    id: int
    layer: str
    name: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    approved_on: dt.date | None = None
    document: str = ""

    def in_force(self, day: dt.date) -> bool:
        """Drafts are never in force; others from ``valid_from`` up to, not including, ``valid_to``."""
        if self.status == "draft":
            return False
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "layer": self.layer,
            "name": self.name,
            "status": self.status,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
            "document": self.document,
        }


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    actor: str
    action: str
    layer: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class User:
    """An account. ``password_hash`` is a self-describing scrypt hash (see guotu.core.passwords)."""

    name: str
    password_hash: str
    roles: tuple[str, ...]
    display_name: str = ""
    active: bool = True


@dataclass(frozen=True)
class Session:
    """A login session, stored by the SHA-256 of its bearer token (the token itself is never stored)."""

    token_hash: str
    user: str
    created_at: dt.datetime
    expires_at: dt.datetime


BBox = tuple[float, float, float, float]


class Transaction(Protocol):
    """Writes inside one store transaction. Each write also appends an audit event."""

    def create_layer(
        self, name: str, geometry_type: str, fields: Mapping[str, str], *, title: str = "",
        versioned: bool = False,
    ) -> LayerInfo: ...

    def add_fields(self, layer: str, fields: Mapping[str, str]) -> None: ...

    def add_edition(
        self, layer: str, name: str, *, valid_from: dt.date, status: str = "approved",
        valid_to: dt.date | None = None, approved_on: dt.date | None = None, document: str = "",
    ) -> Edition: ...

    def write(
        self, layer: str, batch: FeatureBatch, *, edition: str | None = None, fids: Sequence[int] | None = None,
    ) -> list[int]:
        """Append the features of ``batch`` (to ``edition`` when given) and return their fids, new ones
        unless ``fids`` gives them (``guotu copy`` keeps a feature's id from one store to the other)."""
        ...

    def update(self, layer: str, fids: Sequence[int], batch: FeatureBatch) -> None:
        """Replace the geometry and the given attributes of features ``fids`` (one row of ``batch`` each);
        the audit event records each feature before and after."""
        ...

    def delete(self, layer: str, fids: Sequence[int]) -> int: ...

    def put_user(self, user: User) -> None:
        """Create or replace an account (audited without the password hash)."""
        ...

    def add_session(self, session: Session) -> None: ...

    def delete_session(self, token_hash: str) -> None: ...

    def drop_layer(self, layer: str) -> None: ...

    def audit(self, action: str, layer: str | None, detail: Mapping[str, Any]) -> None: ...


@runtime_checkable
class Store(Protocol):
    """Persistence behind one interface: the embedded GeoPackage and the PostGIS server."""

    location: str

    def layers(self) -> list[LayerInfo]: ...

    def layer(self, name: str) -> LayerInfo: ...

    def editions(self, layer: str) -> list[Edition]: ...

    def read(
        self, layer: str, *, bbox: BBox | None = None, as_of: dt.date | None = None,
        fids: Sequence[int] | None = None, where: Mapping[str, Any] | None = None,
    ) -> FeatureBatch: ...

    def transaction(self, actor: str = "system") -> AbstractContextManager[Transaction]: ...

    def audit_events(self, since_id: int = 0) -> list[AuditEvent]: ...

    def revision(self, layer: str) -> int:
        """A number that grows with every write to ``layer`` (the id of its latest audit event):
        caches of the layer (tiles) are valid while it is unchanged."""
        ...

    def revisions(self, layers: Sequence[str]) -> dict[str, int]:
        """:meth:`revision` of several layers at once (a warm review checks five per request)."""
        ...

    def get_user(self, name: str) -> User | None: ...

    def users(self) -> list[User]: ...

    def get_session(self, token_hash: str) -> Session | None: ...

    def close(self) -> None: ...


def editions_in_force(store: Store, layer: str, day: dt.date) -> list[Edition]:
    """The editions of ``layer`` in force on ``day`` (empty for an unversioned layer)."""
    return [e for e in store.editions(layer) if e.in_force(day)]


def iter_layers(store: Store) -> Iterator[LayerInfo]:
    yield from store.layers()
