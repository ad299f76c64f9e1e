"""A site's moderation settings: what admins change with PUT /settings, validated here."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from moderation.appeals.reasons import DEFAULT_REASONS, RejectionReason
from moderation.rules import RULES_BY_NAME
from moderation.rules.base import RuleParams

# The length rule's default, read once: every comment posted asks for it (max_comment_chars).
DEFAULT_MAX_CHARS = RULES_BY_NAME["length"].params.model_fields["max_chars"].default

# An origin as a browser sends it in the Origin header: scheme, host (a DNS name, IPv4 or [IPv6])
# and an optional port; sql/0008 cleans stored settings with the same pattern.
ORIGIN = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?")


def web_origin(text: str) -> str | None:
    """The origin in the form browsers send it (lower case), or None when it is not one."""
    origin = text.strip().lower()
    match = ORIGIN.fullmatch(origin)
    if match is None or (match[1] is not None and not 1 <= int(match[1]) <= 65535):
        return None
    return origin


class RateLimit(BaseModel):
    """How many public writes of one kind are accepted per window: from one client address
    (an IPv6 client is its /64), and for the whole site. null: no limit of that scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_address: int | None = Field(default=None, ge=1, le=1_000_000)
    per_site: int | None = Field(default=None, ge=1, le=10_000_000)
    window_s: int = Field(default=60, ge=1, le=86_400)

    @property
    def limits_anything(self) -> bool:
        return self.per_address is not None or self.per_site is not None


class RateLimits(BaseModel):
    """Limits per public write (docs/security.md); a new kind of write adds its field here and
    names it when it calls moderation.web.rate_limits.hit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: RateLimit = RateLimit(per_address=20, per_site=1200, window_s=60)
    rating: RateLimit = RateLimit(per_address=30, per_site=3000, window_s=60)
    report: RateLimit = RateLimit(per_address=20, per_site=600, window_s=60)
    vote: RateLimit = RateLimit(per_address=120, per_site=12_000, window_s=60)
    appeal: RateLimit = RateLimit(per_address=10, per_site=600, window_s=3600)

    def of(self, action: str) -> RateLimit:
        limit = getattr(self, action, None)
        if not isinstance(limit, RateLimit):
            raise ValueError(f"no rate limit for {action!r}")
        return limit


UNLIMITED = RateLimit()


class VoteFlood(BaseModel):
    """The vote-flood rule (moderation.votes.store): past `max_votes` votes on one comment from
    one address range (an IPv4 /24, an IPv6 /48) within `window_s`, new votes are held, not
    counted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    max_votes: int = Field(default=10, ge=1, le=100_000)
    window_s: int = Field(default=600, ge=1, le=7 * 86_400)


EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Digest(BaseModel):
    """Moderators' digest email (moderation.mail): held and reported items, at most every
    `every_hours`, only when something waits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    emails: list[Annotated[str, StringConstraints(pattern=EMAIL, max_length=254)]] = Field(
        default_factory=list, max_length=20)
    every_hours: int = Field(default=24, ge=1, le=24 * 7)


class SiteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    premoderation: Literal["off", "first_n", "all"] = "off"
    first_n: int = Field(default=1, ge=1, le=1000)
    report_threshold: int = Field(default=3, ge=1, le=1000)
    edit_window_s: int = Field(default=900, ge=0, le=7 * 24 * 3600)
    # Threads close by themselves this many days after their first comment; None: never.
    auto_close_days: int | None = Field(default=None, ge=1, le=3650)
    # The longest lifetime (exp - iat) of an SSO token the site accepts (docs/sso.md).
    sso_max_lifetime_s: int = Field(default=3600, ge=60, le=30 * 86_400)
    allowed_origins: list[str] = Field(default_factory=list, max_length=100)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    vote_flood: VoteFlood = Field(default_factory=VoteFlood)
    digest: Digest = Field(default_factory=Digest)
    # Per rule, only the parameters the site changed; defaults come from the rule itself.
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # What moderators pick from when rejecting, and what the reader is told (moderation.appeals).
    rejection_reasons: list[RejectionReason] = Field(
        default_factory=lambda: list(DEFAULT_REASONS), min_length=1, max_length=50)

    @field_validator("rejection_reasons")
    @classmethod
    def distinct_reason_codes(cls, reasons: list[RejectionReason]) -> list[RejectionReason]:
        codes = [r.code for r in reasons]
        if len(set(codes)) != len(codes):
            raise ValueError("each reason needs a code of its own")
        return reasons

    @field_validator("allowed_origins")
    @classmethod
    def web_origins(cls, origins: list[str]) -> list[str]:
        """Each one an origin as browsers send it: http(s)://host[:port]. Never `null` (sandboxed
        frames and file pages all send it), `*`, a path or another scheme."""
        errors: list[InitErrorDetails] = []
        normalized = []
        for n, origin in enumerate(origins):
            found = web_origin(origin)
            if found is None:
                errors.append(InitErrorDetails(
                    type=PydanticCustomError(
                        "origin", "{origin!r} is not an origin like https://news.example or "
                        "http://localhost:8080 (scheme, host and port only)", {"origin": origin}),
                    loc=(n,), input=origin))
            else:
                normalized.append(found)
        if errors:
            raise ValidationError.from_exception_data("allowed_origins", errors)
        return list(dict.fromkeys(normalized))

    @field_validator("rules")
    @classmethod
    def known_rules_with_valid_params(cls, rules: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        # Every problem of every rule at once, each located as rules.<rule>.<parameter>.
        errors: list[InitErrorDetails] = []
        for name, params in rules.items():
            rule = RULES_BY_NAME.get(name)
            if rule is None:
                errors.append(InitErrorDetails(
                    type=PydanticCustomError("unknown_rule", "unknown rule {name}; known: {known}",
                                             {"name": name, "known": ", ".join(sorted(RULES_BY_NAME))}),
                    loc=(name,), input=params))
                continue
            try:
                rule.params.model_validate(params)
            except ValidationError as exc:
                errors += [InitErrorDetails(type=PydanticCustomError(err["type"], err["msg"]),
                                            loc=(name, *err["loc"]), input=err["input"])
                           for err in exc.errors(include_url=False)]
        if errors:
            raise ValidationError.from_exception_data("rules", errors)
        return rules

    def patched(self, changes: dict[str, Any]) -> SiteSettings:
        """These settings with `changes` applied as a JSON merge patch (RFC 7396): objects merge
        key by key, null puts a field back to its default, anything else replaces; the result is
        validated whole (ValidationError, each problem located)."""
        return SiteSettings.model_validate(merge_patch(self.model_dump(mode="json"), changes))

    def max_comment_chars(self) -> int | None:
        """The longest comment the length rule lets through (what the API refuses at the door
        as 422 body_too_long); None when the site turned the rule off."""
        length = self.rules.get("length", {})
        if not length.get("enabled", True):
            return None
        return length.get("max_chars", DEFAULT_MAX_CHARS)

    def rule_params(self) -> dict[str, RuleParams]:
        """Every rule's effective parameters: its defaults overlaid with this site's changes."""
        return {name: rule.params.model_validate(self.rules.get(name, {}))
                for name, rule in RULES_BY_NAME.items()}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: what PATCH /settings does to the stored document."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
