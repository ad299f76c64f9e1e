"""Who wrote it: an anonymous commenter keyed by email or name and IP, or a site-verified one."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.errors import ApiError
from moderation.models import CommenterIn
from moderation.signing import Signer
from moderation.sites import Site


@dataclass(frozen=True, slots=True)
class Commenter:
    key: str
    name: str
    email: str | None
    verified: bool


def resolve_commenter(signer: Signer, site: Site, commenter: CommenterIn | None,
                      sso_token: str | None, ip_hash: bytes) -> Commenter:
    if sso_token is not None:
        # Verified identity needs the site's SSO secret; until a site sets one, say so plainly.
        raise ApiError(400, "sso_not_configured", "this site does not accept sso_token")
    if commenter is None:
        raise ApiError(422, "validation_failed", "the request has invalid fields",
                       [{"field": "commenter", "message": "commenter is required without sso_token",
                         "type": "missing"}])
    key = signer.anonymous_commenter(site.site_id, commenter.name, commenter.email, ip_hash)
    return Commenter(key, commenter.name, commenter.email, False)
