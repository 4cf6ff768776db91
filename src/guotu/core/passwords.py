"""Password hashing with the standard library's scrypt, in a self-describing text form.

``scrypt$n$r$p$salt_hex$hash_hex``; verification is constant-time. No third-party dependency.

>>> h = hash_password("正确的密码")
>>> verify_password("正确的密码", h), verify_password("wrong", h)
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P, _LEN = 2**14, 8, 1, 32


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              dklen=len(digest) // 2)
    return hmac.compare_digest(computed.hex(), digest)


def new_token() -> str:
    """A bearer token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256."""
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()
