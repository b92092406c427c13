"""One error hierarchy for the whole system.

Every error carries the HTTP status a web view should answer with and a message that is safe to show
to a user (no SQL, no paths, no stack). The CLI prints the message and exits non-zero; the web layer
turns it into a JSON or HTML error.
"""

from __future__ import annotations

__all__ = [
    "SigkelError",
    "ConfigError",
    "DatabaseUnavailable",
    "PostGISMissing",
    "ClusterError",
    "DataError",
    "NotFound",
    "NotAuthenticated",
    "Forbidden",
    "Conflict",
    "RateLimited",
]


class SigkelError(Exception):
    """Base of every expected error.

    Parameters
    ----------
    message : str
        One or two plain sentences saying what is wrong and how to fix it.
    hint : str, optional
        A further line with the exact command or setting to change.
    """

    http_status = 500
    code = "internal-error"

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"

    def to_dict(self) -> dict:
        out = {"error": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class ConfigError(SigkelError):
    """A setting in the environment is missing or malformed."""

    code = "config-error"


class DatabaseUnavailable(SigkelError):
    """The database cannot be reached right now; retrying later may work."""

    http_status = 503
    code = "database-unavailable"


class PostGISMissing(SigkelError):
    """PostgreSQL or PostGIS is not installed, or the extension cannot be enabled."""

    code = "postgis-missing"


class ClusterError(SigkelError):
    """The embedded PostGIS cluster could not be created, started or stopped."""

    code = "cluster-error"


class DataError(SigkelError):
    """Input data is malformed; the message says where and how to fix it."""

    http_status = 422
    code = "invalid-data"


class NotFound(SigkelError):
    """The requested object does not exist (or is not visible to the caller)."""

    http_status = 404
    code = "not-found"


class NotAuthenticated(SigkelError):
    """The caller must log in (or send an API key) first."""

    http_status = 401
    code = "not-authenticated"


class Forbidden(SigkelError):
    """The caller is known but not allowed to do this (role or kelurahan scope)."""

    http_status = 403
    code = "forbidden"


class Conflict(SigkelError):
    """The request clashes with the object's current state (e.g. an illegal status change)."""

    http_status = 409
    code = "conflict"


class RateLimited(SigkelError):
    """Too many attempts; ``retry_after`` seconds until the next one is allowed."""

    http_status = 429
    code = "rate-limited"

    def __init__(self, message: str, retry_after: int, hint: str | None = None):
        super().__init__(message, hint)
        self.retry_after = max(1, int(retry_after))
