"""Errors the loader raises on purpose, each with a message that names the fix.

`exit_code` is what `runsteps` exits with: 2 for what the user must fix in their config or input,
3 for what the provider must fix (quota, outages, a broken API). Messages never contain the key.
"""

from __future__ import annotations

from typing import Optional


class RunstepsError(Exception):
    """Base of the errors that stop a load with a one-line reason."""

    exit_code = 2


class ConfigError(RunstepsError):
    """Bad configuration or input: a missing key, a wrong provider, a malformed base URL or id."""

    exit_code = 2


class InvalidIdError(ConfigError):
    """An object id that may not go into a URL path."""


class ApiError(RunstepsError):
    """An HTTP error from the API, with its status, error code and `x-request-id`."""

    exit_code = 3

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
    """401/403: the key is missing, wrong or revoked."""

    exit_code = 2

    def __init__(self, message: str, **kwargs: object) -> None:
        fix = (
            " Fix: set a valid key in OPENAI_API_KEY (AZURE_OPENAI_API_KEY for azure), "
            "or sources.openai_assistants.api_key in .dlt/secrets.toml."
        )
        super().__init__(message + fix, **kwargs)  # type: ignore[arg-type]


class QuotaError(ApiError):
    """429 insufficient_quota: needs a person (billing), never retried."""

    exit_code = 3


class NotFoundError(ApiError):
    """404: the object does not exist (or was deleted)."""


class PagingLoopError(ApiError):
    """The API kept saying `has_more` while sending the same page again."""


class RetriesExhaustedError(ApiError):
    """A transient fault outlasted the retry budget."""
