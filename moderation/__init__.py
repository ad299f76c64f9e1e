"""moderation: comments and author ratings under news articles, through a rule queue."""

__version__ = "0.1.0"
