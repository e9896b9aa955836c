"""Bearer tokens that expire, as Entra ID issues them for Foundry (scope https://ai.azure.com/.default).

A loader signs in, gets a token valid for about an hour and must refresh it before (or when) the
service answers 401. The emulator issues such tokens on demand (`/_emulator/token?ttl=S`,
`Emulator.issue_token(ttl)`); they expire on the wall clock, not on the world clock, because a
client refreshes them in real time while the world clock is moved by tests.

The 401 of an expired token: Foundry's data plane answers ``ExpiredAuthenticationToken`` with the
expiry and current UTC times in this wording (seen in microsoft/microsoft-foundry-for-vscode#20);
the OpenAI flavour answers as for a wrong key.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from typing import Dict, Optional

from .errors import JSON, Response, error

WWW_AUTHENTICATE = (b"www-authenticate", b'Bearer error="invalid_token", error_description="The access token expired"')


def _azure_time(ts: float) -> str:
    """``5/7/2025 3:12:30 PM``: the format of the Azure message."""
    d = _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {hour}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"


class TokenStore:
    """Issued tokens and their expiry times (unix seconds, wall clock)."""

    def __init__(self, clock=time.time) -> None:
        self._tokens: Dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def issue(self, ttl: float) -> Dict[str, object]:
        """A new token valid for `ttl` seconds: ``{access_token, token_type, expires_in, expires_on}``."""
        if ttl <= 0:
            raise ValueError("ttl must be > 0")
        # Shaped like a JWT (three base64url-ish parts), as Entra tokens are.
        token = "eyJ0eXAiOiJKV1QifQ." + os.urandom(24).hex() + "." + os.urandom(16).hex()
        expires_on = self._clock() + ttl
        with self._lock:
            self._tokens[token] = expires_on
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "expires_on": expires_on}

    def known(self, token: str) -> bool:
        return token in self._tokens

    def check(self, token: str, foundry: bool) -> Optional[Response]:
        """None while `token` is valid; the 401 the service sends once it has expired."""
        expires_on = self._tokens.get(token)
        if expires_on is None:
            return None
        now = self._clock()
        if now < expires_on:
            return None
        if foundry:
            import orjson

            body = orjson.dumps({"error": {
                "code": "ExpiredAuthenticationToken",
                "message": f"The access token expiry UTC time '{_azure_time(expires_on)}' is earlier than current UTC "
                           f"time '{_azure_time(now)}'.",
            }})
            return 401, [JSON, WWW_AUTHENTICATE], body
        return error(401, "Incorrect API key provided: the access token has expired. You can find your API key at "
                     "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
