"""Request and response models of the public and moderation API; /openapi.json is built from them.

Responses list their fields explicitly (as Isso does): internal data such as IP hashes, emails,
scores and rule details never reaches a public answer by accident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,18}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


# Names and titles go into e-mail headers and page titles: no line breaks or other controls.
NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"


class CommenterIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80,
                                           pattern=NO_CONTROLS)]
    email: Email | None = None


class CommentIn(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
    commenter: CommenterIn | None = Field(default=None, description="required unless sso_token is given")
    parent_id: ItemId | None = None
    sso_token: Annotated[str, StringConstraints(max_length=4096)] | None = None
    thread_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    thread_title: Annotated[str, StringConstraints(max_length=300, pattern=NO_CONTROLS)] | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="honeypot: a hidden form field that people leave empty")
    elapsed_ms: Annotated[int, Field(ge=0, le=10**9)] | None = Field(
        default=None, description="how long the comment form was open before sending")
    notify: Literal["replies"] | None = Field(
        default=None, description="email me replies (needs commenter.email, or the SSO token's "
                                  "email, and email on this service); the address is confirmed "
                                  "by a link first")


class CommentEdit(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=50_000)]


class CommentAccepted(BaseModel):
    id: str
    status: Literal["pending"]
    thread: str
    created_at: datetime
    edit_token: str = Field(description="lets the commenter see, edit and delete this comment")


class CommentAuthor(BaseModel):
    name: str
    verified: bool


class VoteCounts(BaseModel):
    up: int
    down: int


class CommentOut(BaseModel):
    id: str
    thread: str
    parent_id: str | None
    author: CommentAuthor
    body: str
    created_at: datetime
    edited_at: datetime | None
    votes: VoteCounts = Field(description="counted up and down votes")
    featured: bool = Field(description="featured by the site's moderators (Editors' picks)")
    removed: bool = Field(
        description="true for a top-level comment no longer published, listed only so that its "
                    "approved replies stay readable: its name and body are empty")


class StatementOfReasons(BaseModel):
    reason_code: str = Field(description="the site's rejection reason, e.g. spam, abuse")
    reason: str = Field(description="the reason's label")
    policy: str = Field(description="the reason's explanation, as the site wrote it")
    explanation: str = Field(description="the whole statement in English: the policy, who "
                                         "decided, how to appeal (the widget composes it in "
                                         "its reader's language from the other fields)")
    automated: bool = Field(description="decided by the rules rather than by a person")
    appealable: bool


class AppealState(BaseModel):
    id: str
    status: Literal["open", "upheld", "reinstated"]
    created_at: datetime
    decided_at: datetime | None


class OwnCommentOut(CommentOut):
    status: Literal["pending", "approved", "held", "rejected"]
    decision: StatementOfReasons | None = Field(
        default=None, description="with X-Edit-Token, while the comment is rejected")
    appeal: AppealState | None = Field(default=None, description="with X-Edit-Token, once appealed")


class CommentWithReplies(CommentOut):
    replies: list[CommentOut] = Field(
        description="its first approved replies (at most REPLIES_PER_COMMENT, 100 by default), "
                    "oldest first, nested by parent_id")
    reply_count: int = Field(description="its approved replies in all, shown here or not")
    replies_cursor: str | None = Field(
        description="the cursor for GET …/comments/{id}/replies that continues after the replies "
                    "shown here; null when all are shown")


class ThreadPage(BaseModel):
    thread: str
    total: int = Field(description="approved comments in the thread, replies included")
    closed: bool = Field(description="closed threads take no new comments or votes (409)")
    edit_window_s: int = Field(description="how long after posting a comment can be edited")
    featured: list[CommentOut] = Field(
        description="on the first page (no cursor), the featured comments, newest pick first")
    email_replies: bool = Field(description="whether comments may ask for reply emails (notify)")
    items: list[CommentWithReplies]
    next_cursor: str | None
    replies_truncated: bool = Field(
        description="true when the page reached its cap of replies in all (PAGE_MAX_REPLIES, "
                    "300 by default) before every comment's first replies: the comments cut short "
                    "carry a replies_cursor that continues where they stop")


class ReplyPage(BaseModel):
    comment: str = Field(description="the top-level comment these replies belong to")
    items: list[CommentOut] = Field(description="approved replies, oldest first")
    next_cursor: str | None


class CommentStatus(BaseModel):
    id: str
    status: Literal["pending", "deleted"]


class Counts(BaseModel):
    counts: dict[str, int]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict] = []


class ErrorOut(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: bool
    pending_migrations: list[str]


# Author ratings (moderation.ratings.handlers).

class RaterIn(Strict):
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="the widget's random id for this browser; an anonymous rater is their address "
                    "(an IPv6 client's /64), whatever the fingerprint")


class RatingIn(Strict):
    score: Annotated[int, Field(ge=1, le=5, strict=True)]
    rater: RaterIn | None = None
    sso_token: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        default=None, description="the site's signed token: a verified rater, one rating per account")


class RatingAccepted(BaseModel):
    id: str
    status: Literal["pending"]


class RatingConfidence(BaseModel):
    low: float
    high: float


class AuthorRating(BaseModel):
    author: str
    count: int = Field(description="approved ratings, one per rater")
    average: float | None
    bayesian_average: float | None = Field(description="shrunk toward the site's mean (docs/ratings.md)")
    histogram: dict[Literal["1", "2", "3", "4", "5"], int]
    confidence: RatingConfidence | None = Field(description="95 % interval of the mean score")


class AuthorRatings(BaseModel):
    ratings: dict[str, AuthorRating]


class AggregateRatingLd(BaseModel):
    """schema.org AggregateRating as JSON-LD, for the site's article page."""

    model_config = ConfigDict(populate_by_name=True)
    context: str = Field(alias="@context")
    type: str = Field(alias="@type")
    itemReviewed: dict
    ratingValue: float
    ratingCount: int
    bestRating: int
    worstRating: int
