"""The rules of plan editions, shared by every store: which new edition is allowed, what it supersedes.

Pure decisions, no I/O: a store asks :func:`plan_new_edition` before writing, then applies the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from guotu.core.errors import ConflictError, InputError
from guotu.store.base import EDITION_STATUSES, Edition


def plan_new_edition(
    existing: Sequence[Edition], layer: str, name: str, status: str, valid_from: dt.date,
    valid_to: dt.date | None,
) -> list[Edition]:
    """Check a new edition of ``layer`` against ``existing``; return the open editions it supersedes.

    Drafts never conflict. An approved (or superseded) edition closes the open edition that began
    before it, from its own first day; any other overlap of validity periods is refused.

    >>> a = Edition(1, "dev_boundary", "A", "approved", dt.date(2022, 10, 14))
    >>> [e.name for e in plan_new_edition([a], "dev_boundary", "B", "approved", dt.date(2024, 6, 28), None)]
    ['A']
    """
    if status not in EDITION_STATUSES:
        raise InputError("store.bad_edition_status", status=status, allowed=", ".join(EDITION_STATUSES))
    if valid_to is not None and valid_to <= valid_from:
        raise InputError("store.edition_dates", edition=name, valid_from=valid_from, valid_to=valid_to)
    if any(e.name == name for e in existing):
        raise ConflictError("store.edition_exists", layer=layer, edition=name)
    if status == "draft":
        return []
    superseded: list[Edition] = []
    new_end = valid_to or dt.date.max
    for e in existing:
        if e.status == "draft":
            continue
        if e.valid_to is None and e.valid_from < valid_from:
            superseded.append(e)
            continue
        if e.valid_from < new_end and valid_from < (e.valid_to or dt.date.max):
            raise ConflictError("store.edition_overlap", layer=layer, edition=name, other=e.name,
                                other_from=e.valid_from, other_to=e.valid_to or "—")
    return superseded
