"""Keyed hashes and signatures: IP hashes, API tokens, edit tokens and pagination cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 in one call (hmac.digest, no hmac object: docs/decisions/0007); three of these
    run for every comment posted."""
    return hmac.digest(key, message, "sha256")


# Entries each remembered-hash table holds at most; a full one starts again empty.
REMEMBERED = 10_000


def _remember(table: dict, key, value) -> None:
    if len(table) >= REMEMBERED:
        table.clear()
    table[key] = value


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """One secret, separate keys per purpose, so a value signed for one use is useless for another."""

    def __init__(self, secret: str) -> None:
        root = secret.encode()
        self._ip_key = _mac(root, b"ip-hash")
        self._edit_key = _mac(root, b"edit-token")
        self._cursor_key = _mac(root, b"cursor")
        self._identity_key = _mac(root, b"commenter")
        self._email_key = _mac(root, b"email-link")
        # A reader posts and votes from one address under one name again and again: their
        # hashes are remembered instead of computed for every request (docs/decisions/0010).
        self._ip_hashes: dict[str, bytes] = {}
        self._commenters: dict[tuple[str, str, bytes], str] = {}
        self._cursors: dict[str, str] = {}

    def ip_hash(self, ip: str) -> bytes:
        """IPs are never stored; this keyed hash still lets rules count items per address."""
        found = self._ip_hashes.get(ip)
        if found is None:
            found = _mac(self._ip_key, ip.encode())[:16]
            _remember(self._ip_hashes, ip, found)
        return found

    def anonymous_commenter(self, site_id: str, name: str, ip_hash: bytes) -> str:
        """A key for a reader without an account: their name and IP. Never their email, which
        nobody verified: typing a regular's address must not inherit their trust or bans."""
        seen = (site_id, name, ip_hash)
        found = self._commenters.get(seen)
        if found is None:
            basis = f"{site_id}\0name\0{name.strip().casefold()}\0".encode() + ip_hash
            found = "anon:" + _b64(_mac(self._identity_key, basis)[:15])
            _remember(self._commenters, seen, found)
        return found

    def edit_token(self, site_id: str, kind: str, item_id: int) -> str:
        message = f"{site_id}\0{kind}\0{item_id}".encode()
        return _b64(_mac(self._edit_key, message)[:24])

    def check_edit_token(self, site_id: str, kind: str, item_id: int, token: str | None) -> bool:
        return token is not None and token != "" and hmac.compare_digest(
            self.edit_token(site_id, kind, item_id), token)

    def sign_cursor(self, payload: str) -> str:
        # Every reader of a thread's first page gets the same cursor to the second one.
        found = self._cursors.get(payload)
        if found is None:
            mac = _mac(self._cursor_key, payload.encode())[:12]
            found = _b64(payload.encode()) + "." + _b64(mac)
            _remember(self._cursors, payload, found)
        return found

    def email_token(self, purpose: str, site_id: str, email: str) -> str:
        """The token of a link in an email: confirm or unsubscribe this address on this site."""
        payload = f"{purpose}|{site_id}|{email}".encode()
        return _b64(payload) + "." + _b64(_mac(self._email_key, payload)[:16])

    def open_email_token(self, token: str, purpose: str, site_id: str) -> str | None:
        """The address an email link's token stands for; None for another purpose or site,
        or anything forged."""
        try:
            encoded, mac = token.split(".", 1)
            payload = _unb64(encoded)
            if not hmac.compare_digest(_mac(self._email_key, payload)[:16], _unb64(mac)):
                return None
            found_purpose, found_site, email = payload.decode().split("|", 2)
        except (ValueError, UnicodeDecodeError):
            return None
        return email if (found_purpose, found_site) == (purpose, site_id) else None

    def open_cursor(self, cursor: str) -> str | None:
        """The payload of a cursor this service signed, or None for anything forged or mangled."""
        try:
            encoded, mac = cursor.split(".", 1)
            payload = _unb64(encoded)
            good = _mac(self._cursor_key, payload)[:12]
            if hmac.compare_digest(good, _unb64(mac)):
                return payload.decode()
        except (ValueError, UnicodeDecodeError):
            pass
        return None


def new_api_token(site_id: str) -> str:
    """The site is part of the token, so a token can be looked up by (site_id, hash)."""
    return f"mod_{site_id}_{secrets.token_hex(24)}"


def token_hash(token: str) -> bytes:
    # Tokens are long random strings, so a plain (unsalted) hash is safe and lets us look them up.
    return hashlib.sha256(token.encode()).digest()


def token_site(token: str) -> str | None:
    if not token.startswith("mod_"):
        return None
    site, sep, _ = token[4:].rpartition("_")
    return site if sep and site else None
