"""Email: reply notifications with double opt-in and one-click unsubscribe, and moderators'
digests; sent by the durable queue through SMTP (SMTP_URL), off when it is unset."""
