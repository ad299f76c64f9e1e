"""The site's list of rejection reasons and the statement of reasons a reader is shown.

The EU Digital Services Act (art. 17) asks for a statement a reader can understand: the policy
broken, whether a machine or a person decided, and how to contest it. Moderators pick a reason
from the site's list; a rule's rejection names the policy its rule enforces.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RejectionReason(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="stable key, e.g. spam")
    label: str = Field(min_length=1, max_length=80, description="what moderators pick from")
    explanation: str = Field(min_length=1, max_length=500, description="what the reader reads")


DEFAULT_REASONS: tuple[RejectionReason, ...] = (
    RejectionReason(code="spam", label="Spam or advertising",
                    explanation="Comments that advertise, repeat themselves or were posted in "
                                "bulk are not published."),
    RejectionReason(code="abuse", label="Abuse or insults",
                    explanation="Insults, harassment and hateful language about anyone are not "
                                "published."),
    RejectionReason(code="threats", label="Threats or incitement",
                    explanation="Threats, wishing harm on someone and calls to violence are not "
                                "published."),
    RejectionReason(code="personal_data", label="Someone's personal data",
                    explanation="Addresses, phone numbers and other private details of people "
                                "are not published."),
    RejectionReason(code="off_topic", label="Off topic",
                    explanation="Comments should be about the article they are under."),
    RejectionReason(code="banned", label="Commenter suspended",
                    explanation="The account or address this comment came from is suspended "
                                "from commenting here."),
    RejectionReason(code="other", label="Other breach of the rules",
                    explanation="The comment breaks the site's comment rules."),
)

# The policy each rule enforces, for the statement of a rejection by the rules; `combined`
# names its category (spam or abuse) in its verdict's details.
RULE_POLICY = {
    "banned_words": "abuse", "toxicity": "abuse", "shouting": "abuse", "threats": "threats",
    "honeypot": "spam", "links": "spam", "duplicate": "spam", "flood": "spam",
    "learned_spam": "spam", "commenter": "banned", "length": "other",
}


def policy_of_rules(verdicts: list[dict], actions: tuple[str, ...] = ("reject",)) -> str:
    """The policy behind a rejection by the rules, from the verdicts that rejected it (or, with
    `actions`, held it: what a moderator would most likely reject it for)."""
    for verdict in sorted(verdicts, key=lambda v: v["action"] != "reject"):
        if verdict["action"] not in actions:
            continue
        if verdict["rule"] == "combined":
            return "abuse" if (verdict.get("details") or {}).get("category") == "abuse" else "spam"
        return RULE_POLICY.get(verdict["rule"], "other")
    return "other"


def reason_for(reasons: list[RejectionReason], code: str | None) -> RejectionReason:
    """The site's reason with this code, else the default one, else the site's 'other'."""
    for source in (reasons, DEFAULT_REASONS):
        for reason in source:
            if reason.code == code:
                return reason
    return next((r for r in reasons if r.code == "other"), DEFAULT_REASONS[-1])


def statement(reasons: list[RejectionReason], code: str | None, automated: bool,
              appealable: bool) -> dict:
    """The statement of reasons for a rejected comment, in the API's `decision` shape."""
    reason = reason_for(reasons, code)
    who = ("Our automatic filters decided this." if automated
           else "A moderator decided this.")
    how = (" If you think this is a mistake, you can appeal once, with a note: a moderator "
           "(another one than who decided) will look at it again." if appealable else "")
    return {"reason_code": reason.code, "reason": reason.label, "policy": reason.explanation,
            "explanation": f"{reason.label}. {reason.explanation} {who}{how}",
            "automated": automated, "appealable": appealable}
