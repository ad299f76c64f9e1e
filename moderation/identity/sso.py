"""Who wrote or rated it: an anonymous reader keyed by a keyed hash, or one the site's SSO verified.

A site's own login signs a short-lived HS256 JWT `{sub, name, email?, aud, exp, iat}` with the
secret `moderation site set-sso` gave it (docs/sso.md): `aud` is `moderation:<site>`, and the
token may live (`exp - iat`) at most the site's `sso_max_lifetime_s` (an hour by default). PyJWT
checks the signature with HS256 only, so `alg: none` and every other algorithm are refused;
expiry and issue time are checked here against the injected clock, with a little leeway for
clocks that disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import jwt

from moderation.errors import ApiError
from moderation.identity.signing import Signer
from moderation.sites.store import Site
from moderation.web.models import CommenterIn

LEEWAY_S = 30
MAX_NAME = 80
MAX_SUBJECT = 200


@dataclass(frozen=True, slots=True)
class Commenter:
    key: str
    name: str
    email: str | None
    verified: bool


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    subject: str
    name: str
    email: str | None

    @property
    def key(self) -> str:
        return f"sso:{self.subject}"


def sso_audience(site_id: str) -> str:
    """The `aud` a site's tokens must carry: a token for another service, or another site of
    this one, is refused even where the secret is shared."""
    return f"moderation:{site_id}"


def invalid(message: str) -> ApiError:
    return ApiError(401, "sso_token_invalid", message)


def verify_sso_token(site: Site, token: str, now: datetime | None = None) -> VerifiedIdentity:
    """The identity in a token signed with the site's secret; 401 or 400 with a clear code."""
    if not site.sso_secret:
        raise ApiError(400, "sso_not_configured", "this site has not set up single sign-on")
    audience = sso_audience(site.site_id)
    try:
        claims = jwt.decode(token, site.sso_secret, algorithms=["HS256"], audience=audience,
                            options={"require": ["exp", "iat", "sub", "aud"], "verify_exp": False,
                                     "verify_iat": False})
    except jwt.MissingRequiredClaimError as exc:
        raise invalid(f"the SSO token lacks the {exc.claim!r} claim") from None
    except jwt.InvalidAudienceError:
        raise invalid(f"the SSO token's aud must be {audience!r}") from None
    except jwt.InvalidTokenError:
        raise invalid("the SSO token is not signed with this site's SSO secret") from None
    exp, iat, sub = claims["exp"], claims["iat"], claims["sub"]
    if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in (exp, iat)):
        raise invalid("exp and iat must be numeric dates")
    longest = site.settings.sso_max_lifetime_s
    if exp - iat > longest:
        # A stolen long-lived token would be a lasting identity: the site must issue short ones.
        raise invalid(f"the SSO token lives {int(exp - iat)} s; this site accepts at most {longest} s")
    moment = (now or datetime.now(timezone.utc)).timestamp()
    if exp <= moment - LEEWAY_S:
        raise ApiError(401, "sso_token_expired", "the SSO token has expired; sign in again")
    if iat > moment + LEEWAY_S:
        raise invalid("the SSO token was issued in the future")
    if not isinstance(sub, str) or not 1 <= len(sub) <= MAX_SUBJECT:
        raise invalid(f"sub must be a string of 1-{MAX_SUBJECT} characters")
    name = claims.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME:
        raise invalid(f"name must be a string of 1-{MAX_NAME} characters")
    email = claims.get("email")
    return VerifiedIdentity(sub, name.strip(), email if isinstance(email, str) and email else None)


def resolve_commenter(signer: Signer, site: Site, commenter: CommenterIn | None,
                      sso_token: str | None, ip_hash: bytes,
                      now: datetime | None = None) -> Commenter:
    if sso_token is not None:
        verified = verify_sso_token(site, sso_token, now)
        return Commenter(verified.key, verified.name, verified.email, True)
    if commenter is None:
        raise ApiError(422, "validation_failed", "the request has invalid fields",
                       [{"field": "commenter", "message": "commenter is required without sso_token",
                         "type": "missing"}])
    key = signer.anonymous_commenter(site.site_id, commenter.name, ip_hash)
    return Commenter(key, commenter.name, commenter.email, False)


@dataclass(frozen=True, slots=True)
class Rater:
    key: str
    verified: bool
    name: str | None = None
    email: str | None = None


def resolve_rater(signer: Signer, site: Site, fingerprint: str | None, sso_token: str | None,
                  ip_hash: bytes, now: datetime | None = None) -> Rater:
    """A verified rater is their account (SSO subject); an anonymous one their address (an IPv6
    client's /64, moderation.web.addresses).

    The fingerprint is the widget's random id for a browser, which a script picks anew for every
    rating: it never makes one address into more raters. One address is one rater, so a newer
    rating from it replaces the older one (one rating per rater and author), whichever browser
    sent it.
    """
    if sso_token is not None:
        verified = verify_sso_token(site, sso_token, now)
        return Rater(verified.key, True, verified.name, verified.email)
    # The keyed commenter hash, under a name no commenter can type (it holds NUL characters).
    key = signer.anonymous_commenter(site.site_id, "\0rater\0", ip_hash)
    return Rater(key, False)
