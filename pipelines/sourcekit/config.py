"""Providers, and the client configuration: checked once, where it enters, then frozen.

A provider is how a company serves the API: where, and how the key travels. The `PROVIDERS` table is
the one place that says so; the CLI's choices, the key lookup and every message about keys derive
from it. What differs per API (an `api-version`, a beta header) is each source's `ApiProfile`.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Protocol, Tuple
from urllib.parse import urlsplit

from .errors import ConfigError


@dataclass(frozen=True)
class Provider:
    """How one provider takes requests.

    Attributes:
        name: the name users pick (`--provider`).
        auth_header: the header the key goes in.
        auth_scheme: `Bearer`, or None for the bare key.
        key_env: environment variables people keep the key in, most specific first.
        default_base_url: the API root when the user gives none (None: the user must give one).
        example_base_url: shown in messages when a base URL is missing or malformed.
        token_scope: the Entra ID scope of a bearer token for this provider (None: keys only), asked
            of a token credential (`credential` of `resolve_client_config`, e.g. azure-identity's).
    """

    name: str
    auth_header: str
    auth_scheme: Optional[str]
    key_env: Tuple[str, ...]
    default_base_url: Optional[str]
    example_base_url: str
    token_scope: Optional[str] = None


PROVIDERS: Dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("openai", "Authorization", "Bearer", ("OPENAI_API_KEY",),
                 "https://api.openai.com/v1", "https://api.openai.com/v1"),
        Provider("azure", "api-key", None, ("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"),
                 None, "https://my-resource.openai.azure.com/openai", "https://cognitiveservices.azure.com/.default"),
        Provider("foundry", "Authorization", "Bearer", ("AZURE_AI_AGENTS_TOKEN", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"),
                 None, "https://my-account.services.ai.azure.com/api/projects/my-project", "https://ai.azure.com/.default"),
    )
}


@dataclass(frozen=True)
class ApiProfile:
    """What one API needs from a provider beyond authentication.

    Attributes:
        api_version: the `api-version` query value sent by default (None: none is sent).
        headers: extra request headers (e.g. the Assistants beta header).
        include_style: how list parameters such as `include[]` are sent: `repeat` (`a=1&a=2`) or
            `comma` (`a=1,2`).
        base_path: appended to the base URL the user gives (e.g. Foundry's `/openai/v1` below the
            project endpoint), unless that URL already ends with it.
    """

    api_version: Optional[str] = None
    headers: Mapping[str, str] = field(default_factory=dict)
    include_style: str = "repeat"
    base_path: str = ""


class TokenCredential(Protocol):
    """What a token credential offers: azure-identity's (and azure-core's) `get_token` protocol, which
    returns an object with `token` (str) and `expires_on` (unix seconds)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class ClientConfig:
    """A checked client configuration: the HTTP client takes it as it is."""

    base_url: str
    provider: Provider
    profile: ApiProfile
    api_key: str = field(repr=False)
    key_setting: str
    api_version: Optional[str]
    concurrency: int
    timeout: float
    max_retries: int
    max_pages: int = 100_000
    verify: bool = True
    # A token credential (`get_token`) asked for a bearer token of `token_scope` instead of a static key;
    # the HTTP client asks it per request and caches the token until shortly before it expires.
    credential: Optional[TokenCredential] = field(default=None, repr=False, compare=False)
    token_scope: Optional[str] = None

    def headers(self) -> Dict[str, str]:
        """Request headers, the key among them (the only place the key is put). With a credential the
        `Authorization` header is added per request by the HTTP client instead."""
        headers = {"Accept": "application/json", "User-Agent": "runsteps/0.1", **self.profile.headers}
        if self.credential is not None:
            return headers
        scheme = self.provider.auth_scheme
        headers[self.provider.auth_header] = f"{scheme} {self.api_key}" if scheme else self.api_key
        return headers

    def key_fix(self) -> str:
        """What to do about a key the API refused."""
        if self.credential is not None:
            return (f"Fix: sign in to an identity with access to the project (az login, a managed identity, or "
                    f"AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET); token scope {self.token_scope}.")
        return f"Fix: set a valid key in {_names(self.provider.key_env)}, or {self.key_setting} in .dlt/secrets.toml."


def _names(names: Tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} (or {', '.join(names[1:])})"


def provider_named(name: str) -> Provider:
    """The provider called `name`, or an error listing the choices."""
    try:
        return PROVIDERS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}") from None


def resolve_api_key(provider: Provider, api_key: Optional[str]) -> Optional[str]:
    """The key given, else the first of the provider's environment variables that is set."""
    if api_key:
        return api_key
    return next((os.environ[name] for name in provider.key_env if os.environ.get(name)), None)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: Optional[str], provider: Provider, allow_insecure_http: bool = False) -> str:
    """The base URL without a trailing slash: https, or http to loopback (or anywhere, if allowed)."""
    url = provider.default_base_url if base_url is None else base_url
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"provider {provider.name!r} needs --base-url (e.g. {provider.example_base_url})"
                          if base_url is None else f"empty base URL: pass --base-url, e.g. {provider.example_base_url}")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"malformed base URL {url!r}: expected e.g. {provider.example_base_url}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_insecure_http:
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: the key would travel unencrypted. "
            "Use https://, or pass --allow-insecure-http if you really mean it"
        )
    return url.strip().rstrip("/")


def with_base_path(url: str, base_path: str) -> str:
    """`url` with the profile's `base_path` appended, unless it already ends with it."""
    path = base_path.rstrip("/")
    return url if not path or url.endswith(path) else url + path


def azure_default_credential() -> TokenCredential:
    """azure-identity's `DefaultAzureCredential` (environment, workload or managed identity, Azure CLI,
    ...), from the optional extra: `pip install 'runsteps[azure]'`."""
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise ConfigError("Azure sign-in needs azure-identity: pip install 'runsteps[azure]'") from None
    return DefaultAzureCredential()


def resolve_client_config(
    *,
    provider: str,
    profiles: Mapping[str, ApiProfile],
    key_setting: str,
    base_url: Optional[str] = None,
    api_key: Optional[str] = None,
    api_version: Optional[str] = None,
    concurrency: int = 32,
    timeout: float = 30.0,
    max_retries: int = 8,
    max_pages: int = 100_000,
    allow_insecure_http: bool = False,
    credential: Optional[TokenCredential] = None,
) -> ClientConfig:
    """Check every client setting once, with messages that name the fix.

    Args:
        provider: a name from `PROVIDERS`.
        profiles: the API's profile per provider (a provider missing here does not serve this API).
        key_setting: the dlt setting that holds the key, named in messages (`sources.<section>.api_key`).
        base_url: the API root; the provider's default when None.
        api_key: the key; the provider's environment variables when None.
        api_version: overrides the profile's `api-version`.
        concurrency: the most requests in flight (at least 1).
        timeout: seconds per request (positive).
        max_retries: retries of one request after transient faults (0 or more).
        max_pages: pages one listing may take before it counts as never-ending (1 or more).
        allow_insecure_http: allow plain http:// to hosts other than loopback.
        credential: a token credential (`get_token`, e.g. azure-identity's `DefaultAzureCredential`)
            used instead of a key, for providers with a `token_scope`; tokens are refreshed before
            they expire, so a load may outlive any one of them.
    """
    chosen = provider_named(provider)
    if chosen.name not in profiles:
        raise ConfigError(f"provider {chosen.name!r} does not serve this API: choose one of {', '.join(profiles)}")
    url = with_base_path(check_base_url(base_url, chosen, allow_insecure_http), profiles[chosen.name].base_path)
    if credential is not None:
        if not chosen.token_scope:
            raise ConfigError(f"provider {chosen.name!r} takes keys, not Azure sign-in: drop the credential")
        if not callable(getattr(credential, "get_token", None)):
            raise ConfigError("the credential must have a get_token(*scopes) method (azure-identity's protocol)")
        key = ""
    else:
        key = resolve_api_key(chosen, api_key)
    if credential is None and (not key or not isinstance(key, str)):
        sign_in = " (or sign in with --azure-credential)" if chosen.token_scope else ""
        raise ConfigError(f"no API key: set {' or '.join(chosen.key_env)}, or {key_setting} in .dlt/secrets.toml{sign_in}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"--concurrency must be a whole number of at least 1 (got {concurrency!r})")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"--timeout must be a positive number of seconds (got {timeout!r})")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigError(f"--max-retries must be 0 or more (got {max_retries!r})")
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise ConfigError(f"--max-pages must be a whole number of at least 1 (got {max_pages!r})")
    profile = profiles[chosen.name]
    return ClientConfig(
        base_url=url, provider=chosen, profile=profile, api_key=key, key_setting=key_setting,
        api_version=api_version or profile.api_version, concurrency=concurrency, timeout=float(timeout),
        max_retries=max_retries, max_pages=max_pages,
        credential=credential, token_scope=chosen.token_scope if credential is not None else None,
    )
