"""The typed errors runsteps' sources raise on purpose, each with a message that names the fix.

They say what went wrong, never how a program should exit: the app (`runsteps.exit_codes`) maps them
to exit codes. Messages never contain a key.
"""

from __future__ import annotations

from typing import Optional


class RunstepsError(Exception):
    """Base of the errors that stop a load with a one-line reason."""


class ConfigError(RunstepsError):
    """Bad configuration or input: a missing key, a wrong provider, a malformed base URL or id."""


class InvalidIdError(ConfigError):
    """An object id given as input that may not go into a URL path."""


class ApiError(RunstepsError):
    """An HTTP error from the API, with its status, error code and `x-request-id`."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        self.status = status
        self.code = code
        self.request_id = request_id
        self.path = path
        self.api_message = message
        where = f" on GET {path}" if path else ""
        status_text = f"HTTP {status}" if status is not None else "request failed"
        code_text = f" ({code})" if code else ""
        rid = f" [x-request-id: {request_id or 'none'}]"
        super().__init__(f"{status_text}{code_text}{where}: {message}{rid}")


class AuthError(ApiError):
    """401/403: the key is missing, wrong or revoked (the message names where the key is read from)."""


class QuotaError(ApiError):
    """429 insufficient_quota: needs a person (billing), never retried."""


class NotFoundError(ApiError):
    """404: the object does not exist (or was deleted)."""


class PagingLoopError(ApiError):
    """The API kept saying `has_more` while sending the same page again."""


class RetriesExhaustedError(ApiError):
    """A transient fault outlasted the retry budget."""
