"""Webhook signatures: `X-Moderation-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`.

Each v1 is the hex HMAC-SHA256 of "<t>.<body>" under one of the endpoint's active secrets: the
current one, and during a rotation the previous one as well, so a receiver still configured with
either accepts the delivery. docs/webhooks.md shows a receiver's check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(active_secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in active_secrets])
