"""One typed hierarchy of errors that a user can cause.

Each error carries a message key and its parameters; the text comes from the message catalogs
(Chinese by default, English on request). Code below the CLI and the API raises these; only the
outer layers decide exit codes or HTTP statuses. An error names the file, the record and the problem.
"""

from __future__ import annotations

from typing import Any

from guotu.core.messages import tr


class GuotuError(Exception):
    """Base class. ``key`` selects the catalog message; ``params`` fill it in."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return tr(self.key, **self.params)

    def message_in(self, language: str) -> str:
        return tr(self.key, language=language, **self.params)

    def __str__(self) -> str:
        return self.message


class InputError(GuotuError):
    """Input that cannot be accepted as it is (a file, a value, a request)."""


class GeometryError(InputError):
    """A geometry that is invalid or cannot be repaired under the policy."""


class CRSError(InputError):
    """Coordinates that cannot be in the declared coordinate reference system, or a missing CRS."""


class EncodingError(InputError):
    """Text that cannot be decoded with the declared or detected encoding."""


class FormatError(InputError):
    """A file whose structure is wrong: truncated, empty, malformed."""


class IdentifierError(InputError):
    """An identifier (ID number, credit code, unit code) that fails validation."""


class CodeError(InputError):
    """An unknown classification code, name or edition."""


class StoreError(GuotuError):
    """The store cannot do what was asked."""


class NotFoundError(StoreError):
    """An unknown layer, edition or feature."""


class ConflictError(StoreError):
    """A write that contradicts what is stored (a layer that exists, an overlapping edition)."""


class RecordError(InputError):
    """A record whose values do not fit the layer it is written to (unknown field, wrong type)."""


class TooLargeError(InputError):
    """An upload or request body beyond the configured limit."""


class AccessError(GuotuError):
    """A request the caller may not make."""


class AuthenticationError(AccessError):
    """No valid login: missing, unknown or expired token, or wrong credentials."""


class PermissionDeniedError(AccessError):
    """A login whose roles do not allow the action."""
