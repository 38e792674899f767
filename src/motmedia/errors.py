"""The one error hierarchy.

Every failure the service reports on purpose is a :class:`MotMediaError` with an HTTP
status and a stable machine-readable ``code``. The API turns it into an RFC 9457
``application/problem+json`` body; the CLI prints ``detail`` and exits non-zero. Lower
libraries' errors are translated at the boundary (``raise X from exc``), never leaked.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadInput",
    "Conflict",
    "EntitlementDenied",
    "Forbidden",
    "MotMediaError",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "Unauthorized",
    "UnsupportedMedia",
]


class MotMediaError(Exception):
    """Base class: ``status`` (HTTP), ``code`` (stable), ``title`` and ``detail`` (human)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]
        # Extra members of the problem document (RFC 9457 §3.2), e.g. ``feature``.
        self.extra: dict[str, Any] = extra


class BadInput(MotMediaError):
    status = 422
    code = "VALIDATION_FAILED"
    title = "The request is not valid"


class UnsupportedMedia(MotMediaError):
    status = 415
    code = "UNSUPPORTED_MEDIA"
    title = "The media cannot be read"


class PayloadTooLarge(MotMediaError):
    status = 413
    code = "TOO_LARGE"
    title = "The payload is too large"


class Unauthorized(MotMediaError):
    status = 401
    code = "UNAUTHORIZED"
    title = "Authentication required"


class Forbidden(MotMediaError):
    status = 403
    code = "FORBIDDEN"
    title = "Not allowed"


class EntitlementDenied(Forbidden):
    """The Software Usage Contract refuses a feature; ``code`` is the decision code."""

    title = "Not covered by the Software Usage Contract"


class NotFound(MotMediaError):
    status = 404
    code = "NOT_FOUND"
    title = "Not found"


class Conflict(MotMediaError):
    status = 409
    code = "CONFLICT"
    title = "Conflict"


class ServiceUnavailable(MotMediaError):
    status = 503
    code = "UNAVAILABLE"
    title = "Service unavailable"
