"""API keys (pure): stored as SHA-256 hex digests per client, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "gfk_"


@dataclass(frozen=True)
class AuthResult:
    """The outcome of checking a request's key: the client's name, or the HTTP status to refuse with."""

    client: str | None
    status: int

    @property
    def ok(self) -> bool:
        """True when a configured client presented its key."""
        return self.client is not None


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of a key, the form keys are configured in."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def check_key(presented: str | None, hashed_keys: dict[str, str]) -> AuthResult:
    """401 when no key was sent, 403 when it matches no client's hash, else the client's name."""
    if not presented:
        return AuthResult(None, 401)
    digest = hash_key(presented)
    found = None
    # Compare against every client so the time taken says nothing about which one nearly matched.
    for client, expected in hashed_keys.items():
        if hmac.compare_digest(digest, expected.strip().lower()):
            found = client
    return AuthResult(found, 200) if found is not None else AuthResult(None, 403)


def config_line(client: str, key: str) -> str:
    """The environment line that configures `key` for `client` (its hash, never the key)."""
    return f"GRIDFLOW_API__KEYS='{{\"{client}\": \"{hash_key(key)}\"}}'"
