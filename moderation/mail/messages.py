"""The emails, composed as plain text when they are sent: a confirmation (double opt-in), a reply
notification with one-click unsubscribe (RFC 8058), and a moderators' digest."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import quote

EXCERPT_CHARS = 2000


def base_message(sender: str, site_name: str, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((site_name, sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office answers to these
    message.set_content(text)
    return message


def link(base_url: str, site_id: str, action: str, token: str) -> str:
    return f"{base_url}/v1/sites/{quote(site_id)}/email/{action}?token={quote(token)}"


def confirmation(sender: str, site_name: str, to: str, confirm_url: str) -> EmailMessage:
    return base_message(sender, site_name, to, f"Confirm reply emails from {site_name}", (
        f"Someone, hopefully you, asked {site_name} to email this address when somebody "
        f"replies to their comment.\n\nTo get these emails, confirm here:\n{confirm_url}\n\n"
        "If it wasn't you, ignore this email: nothing more will be sent to you.\n"))


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + " …"


def reply_notice(sender: str, site_name: str, to: str, replier: str, reply: str,
                 your_comment: str, thread_title: str | None, thread_link: str | None,
                 unsubscribe_url: str) -> EmailMessage:
    where = f" on “{thread_title}”" if thread_title else ""
    lines = [f"{replier} replied to your comment{where}:", "", excerpt(reply), "",
             "Your comment:", excerpt(your_comment), ""]
    if thread_link:
        lines += ["Read and answer it here:", thread_link, ""]
    lines += ["You get this email because you asked for replies to your comments.",
              f"Stop these emails: {unsubscribe_url}", ""]
    message = base_message(sender, site_name, to, f"{replier} replied to your comment{where}",
                           "\n".join(lines))
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def digest(sender: str, site_name: str, to: str, held_comments: int, held_ratings: int,
           reported: int, moderate_url: str) -> EmailMessage:
    waiting = held_comments + held_ratings
    return base_message(sender, site_name, to,
                        f"{waiting} items wait for moderation on {site_name}", (
        f"Waiting for a moderator on {site_name}:\n\n"
        f"  held comments:      {held_comments}\n"
        f"  held ratings:       {held_ratings}\n"
        f"  reported comments:  {reported} (of the held comments, sent back by readers)\n\n"
        f"Work the queue: {moderate_url}\n"))
