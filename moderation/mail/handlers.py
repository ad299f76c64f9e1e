"""The links in the emails: confirm an address (double opt-in) and unsubscribe with one click.

GET shows a page with one button, POST does it: mail scanners that open every link must not
confirm or unsubscribe anyone. POST to the unsubscribe link is also RFC 8058's one-click
unsubscribe (`List-Unsubscribe-Post`), which mail clients send without a page. The token in the
link is signed for its purpose, site and address, so it is all the authority needed.
"""

from __future__ import annotations

import html
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from moderation.errors import ApiError
from moderation.mail import store as mail
from moderation.sites.store import Site
from moderation.web.http import find_site, parse_query
from moderation.web.keys import POOL, SIGNER
from moderation.web.registry import endpoint

CONFIRM_PATH = "/v1/sites/{site}/email/confirm"
UNSUBSCRIBE_PATH = "/v1/sites/{site}/email/unsubscribe"
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


class EmailLinkQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=10, max_length=1000)]


def page(title: str, text: str, button: str | None = None) -> web.Response:
    form = (f'<form method="post"><button type="submit">{html.escape(button)}</button></form>'
            if button else "")
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            '<style>body{font:18px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;'
            'padding:0 1rem}button{font:inherit;padding:.5em 1em}</style></head><body>'
            f'<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</body></html>')
    return web.Response(text=body, content_type="text/html",
                        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store",
                                 "Referrer-Policy": "no-referrer"})


async def address_of(request: web.Request, purpose: str) -> tuple[Site, str]:
    site = await find_site(request)
    query = parse_query(request, EmailLinkQuery)
    email = request.app[SIGNER].open_email_token(query.token, purpose, site.site_id)
    if email is None:
        raise ApiError(404, "not_found", "this link is not valid (it may be cut short)")
    return site, email


@endpoint("GET", CONFIRM_PATH, "The confirmation link's page: one button confirms", "meta",
          query=EmailLinkQuery, errors=(404, 422), content_type="text/html")
async def confirm_page(request: web.Request) -> web.Response:
    site, _ = await address_of(request, "confirm")
    return page("Confirm reply emails", f"Get an email from {site.name} when somebody replies "
                "to your comments.", "Confirm")


@endpoint("POST", CONFIRM_PATH, "Confirm an address for reply emails (double opt-in)", "meta",
          query=EmailLinkQuery, errors=(404, 422), content_type="text/html")
async def confirm(request: web.Request) -> web.Response:
    site, email = await address_of(request, "confirm")
    if not await mail.confirm(request.app[POOL], site.site_id, email):
        return page("Not confirmed", "This address has unsubscribed since; tick “email me "
                    "replies” on a new comment to get reply emails again.")
    return page("Confirmed", f"You will get an email from {site.name} for each reply to "
                "your comments. Every email has a link to stop them.")


@endpoint("GET", UNSUBSCRIBE_PATH, "The unsubscribe link's page: one button unsubscribes", "meta",
          query=EmailLinkQuery, errors=(404, 422), content_type="text/html")
async def unsubscribe_page(request: web.Request) -> web.Response:
    site, _ = await address_of(request, "unsubscribe")
    return page("Stop reply emails", f"Stop all reply emails from {site.name} to this address.",
                "Unsubscribe")


@endpoint("POST", UNSUBSCRIBE_PATH, "Unsubscribe from reply emails (also RFC 8058 one-click)",
          "meta", query=EmailLinkQuery, errors=(404, 422), content_type="text/html")
async def unsubscribe(request: web.Request) -> web.Response:
    site, email = await address_of(request, "unsubscribe")
    await mail.unsubscribe(request.app[POOL], site.site_id, email)
    return page("Unsubscribed", f"{site.name} will send no more reply emails to this address.")
