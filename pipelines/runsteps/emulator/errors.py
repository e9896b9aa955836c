"""Error responses in the official shape: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from typing import List, Optional, Tuple

import orjson

Headers = List[Tuple[bytes, bytes]]
Response = Tuple[int, Headers, bytes]

JSON = (b"content-type", b"application/json")
HTML = (b"content-type", b"text/html; charset=utf-8")

BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


def error_body(message: str, type_: str = "invalid_request_error", param: Optional[str] = None,
               code: Optional[str] = None) -> bytes:
    """The JSON body of an API error."""
    return orjson.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def error(status: int, message: str, type_: str = "invalid_request_error", param: Optional[str] = None,
          code: Optional[str] = None, headers: Optional[Headers] = None) -> Response:
    """A complete error response."""
    return status, [JSON, *(headers or [])], error_body(message, type_, param, code)


def mask_key(key: str) -> str:
    """Mask a key the way the API echoes it back: first 3 and last 4 characters."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def not_found(message: str) -> Response:
    return error(404, message)


def invalid_url(method: str, path: str) -> Response:
    return error(404, f"Invalid URL ({method} {path})")


def status_error(status: int, retry_after_ms: int = 1000) -> Response:
    """A plausible response for an arbitrary status (persistent faults)."""
    if status == 401:
        return error(401, "Incorrect API key provided. You can find your API key at "
                     "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
    if status == 403:
        return error(403, "You are not allowed to access this project.", code="permission_denied")
    if status == 404:
        return error(404, "Not found.")
    if status == 429:
        return rate_limited(retry_after_ms, "both")
    if status == 502:
        return 502, [HTML], BAD_GATEWAY_HTML
    if status >= 500:
        return error(status, "The server had an error while processing your request. Sorry about that!", "server_error")
    return error(status, f"Request failed with status {status}.")


def retry_headers(retry_after_ms: int, which: str) -> Headers:
    """``retry-after-ms`` and/or ``retry-after`` (whole seconds, at least 1)."""
    out: Headers = []
    if which in ("both", "retry-after-ms"):
        out.append((b"retry-after-ms", str(max(1, retry_after_ms)).encode()))
    if which in ("both", "retry-after"):
        out.append((b"retry-after", str(max(1, -(-retry_after_ms // 1000))).encode()))
    return out


def rate_limited(retry_after_ms: int, which: str, extra: Optional[Headers] = None) -> Response:
    """429 ``rate_limit_exceeded`` with the chosen retry headers (``which="none"`` for none)."""
    return error(
        429,
        "Rate limit reached for requests in organization org-emulator on requests per min (RPM). "
        "Please try again shortly.",
        "requests",
        None,
        "rate_limit_exceeded",
        [*retry_headers(retry_after_ms, which), *(extra or [])],
    )


def insufficient_quota() -> Response:
    """429 that no retry can fix: the account is out of credit."""
    return error(
        429,
        "You exceeded your current quota, please check your plan and billing details. For more information "
        "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "insufficient_quota",
        None,
        "insufficient_quota",
    )
