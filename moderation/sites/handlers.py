"""Admin endpoints: the site's settings and the dead rule jobs."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from moderation.errors import ApiError, not_found, validation_details
from moderation.queue import jobs as queue
from moderation.rules import RULES
from moderation.sites import store as sites
from moderation.sites.settings import SiteSettings
from moderation.web.http import find_site, json_response, parse_body
from moderation.web.keys import NOTIFIER, POOL, SITES
from moderation.web.registry import endpoint


class SsoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    secret: Annotated[str, Field(min_length=32, max_length=200)] | None = Field(
        default=None, description="your own secret; omit it to have one generated")


class SsoOut(BaseModel):
    enabled: bool
    secret: str | None = Field(default=None, description="shown only when it is set")


class DeadJob(BaseModel):
    job_id: str
    kind: str
    item_id: str
    attempts: int
    last_error: str | None


class DeadJobs(BaseModel):
    items: list[DeadJob]


class RetryJobs(BaseModel):
    job_id: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,18}$")] | None = None


class Retried(BaseModel):
    queued: int


@endpoint("GET", "/v1/sites/{site}/settings", "The site's moderation settings", "admin",
          responses={200: SiteSettings}, errors=(401, 403, 404))
async def get_settings(request: web.Request) -> web.Response:
    site = await find_site(request)
    return json_response(site.settings.model_dump(mode="json"))


@endpoint("PUT", "/v1/sites/{site}/settings", "Replace the site's moderation settings", "admin",
          request=SiteSettings, responses={200: SiteSettings}, errors=(400, 401, 403, 404, 415, 422))
async def put_settings(request: web.Request) -> web.Response:
    site = await find_site(request)
    settings = await parse_body(request, SiteSettings)
    if await sites.save_settings(request.app[POOL], site.site_id, settings) is None:
        raise not_found("site")
    request.app[SITES].forget(site.site_id)
    return json_response(settings.model_dump(mode="json"))


# Only the fields that change, as a JSON merge patch: nested objects (rules, rate_limits) merge
# key by key, null puts a field back to its default, lists are replaced. Each field is checked
# in the merged document (SiteSettings); unknown fields are refused here.
PATCHABLE: dict[str, Any] = {name: (Any, Field(default=None, description=field.description))
                             for name, field in SiteSettings.model_fields.items()}
SettingsPatch = create_model("SettingsPatch", __config__=ConfigDict(extra="forbid"), **PATCHABLE)


@endpoint("PATCH", "/v1/sites/{site}/settings", "Change only the settings given", "admin",
          request=SettingsPatch, responses={200: SiteSettings},
          errors=(400, 401, 403, 404, 415, 422))
async def patch_settings(request: web.Request) -> web.Response:
    site = await find_site(request)
    changes = await parse_body(request, SettingsPatch)
    try:
        settings = await sites.patch_settings(request.app[POOL], site.site_id,
                                              changes.model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "the settings have invalid fields",
                       validation_details(exc)) from None
    if settings is None:
        raise not_found("site")
    request.app[SITES].forget(site.site_id)
    return json_response(settings.model_dump(mode="json"))


class RuleDescription(BaseModel):
    name: str
    kinds: list[str]
    params: dict[str, Any] = Field(description="JSON Schema of each parameter (type, enum, "
                                                "minimum, maximum, default)")
    values: dict[str, Any] = Field(description="the site's effective parameters")


class RuleDescriptions(BaseModel):
    rules: list[RuleDescription]


@endpoint("GET", "/v1/sites/{site}/rules", "Every rule with its parameters and the site's values",
          "admin", responses={200: RuleDescriptions}, errors=(401, 403, 404))
async def describe_rules(request: web.Request) -> web.Response:
    site = await find_site(request)
    effective = site.settings.rule_params()
    return json_response({"rules": [
        {"name": rule.name, "kinds": sorted(rule.kinds),
         "params": rule.params.model_json_schema()["properties"],
         "values": effective[rule.name].model_dump(mode="json")} for rule in RULES]})


@endpoint("GET", "/v1/sites/{site}/sso", "Whether the site accepts SSO tokens", "admin",
          responses={200: SsoOut})
async def get_sso(request: web.Request) -> web.Response:
    site = await find_site(request)
    return json_response({"enabled": site.sso_secret is not None, "secret": None})


@endpoint("PUT", "/v1/sites/{site}/sso",
          "Set or generate the HS256 secret the site's login signs SSO tokens with (docs/sso.md)",
          "admin", request=SsoIn, responses={200: SsoOut})
async def put_sso(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, SsoIn)
    secret = body.secret or sites.new_sso_secret()
    await sites.set_sso_secret(request.app[POOL], site.site_id, secret)
    request.app[SITES].forget(site.site_id)
    return json_response({"enabled": True, "secret": secret})


@endpoint("DELETE", "/v1/sites/{site}/sso", "Stop accepting SSO tokens", "admin",
          responses={200: SsoOut})
async def delete_sso(request: web.Request) -> web.Response:
    site = await find_site(request)
    await sites.set_sso_secret(request.app[POOL], site.site_id, None)
    request.app[SITES].forget(site.site_id)
    return json_response({"enabled": False, "secret": None})


@endpoint("GET", "/v1/sites/{site}/jobs/dead", "Rule jobs that ran out of attempts", "admin",
          responses={200: DeadJobs}, errors=(401, 403, 404))
async def dead_jobs(request: web.Request) -> web.Response:
    site = await find_site(request)
    rows = await queue.list_dead(request.app[POOL], site.site_id)
    return json_response({"items": [
        {"job_id": str(r["job_id"]), "kind": r["kind"], "item_id": str(r["item_id"]),
         "attempts": r["attempts"], "last_error": r["last_error"]} for r in rows]})


@endpoint("POST", "/v1/sites/{site}/jobs/dead/retry", "Queue dead jobs again (one, or all)",
          "admin", request=RetryJobs, responses={200: Retried}, errors=(401, 403, 404, 422))
async def retry_dead_jobs(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, RetryJobs)
    count = await queue.retry_dead(request.app[POOL], site.site_id,
                                   int(body.job_id) if body.job_id else None,
                                   request.app[NOTIFIER].poke)
    return json_response({"queued": count})
