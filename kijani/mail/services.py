"""Queue mails in the outbox with the change that causes them, and deliver them."""

import logging
import smtplib
import ssl
import uuid
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from kijani.common.models import utcnow
from kijani.common.tasks import enqueue_after_commit
from kijani.extensions import db
from kijani.mail.models import OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 300


class PermanentMailError(Exception):
    """The server refused the mail for good (5xx): retrying will not help."""


def queue_email(to_address, subject, template, attachments=None, unsubscribe_url=None, **context):
    """Render `template` (.txt and .html) into the outbox; delivery starts after commit."""
    from kijani.mail.tasks import deliver_email  # tasks import this module

    context.setdefault("public_url", current_app.config["KIJANI_PUBLIC_URL"].rstrip("/"))
    context["unsubscribe_url"] = unsubscribe_url
    email = OutboxEmail(
        to_address=to_address,
        subject=subject,
        text_body=render_template(f"mail/{template}.txt", **context),
        html_body=render_template(f"mail/{template}.html", **context),
        attachments=attachments or None,
        unsubscribe_url=unsubscribe_url,
    )
    db.session.add(email)
    db.session.flush()
    enqueue_after_commit(db.session, deliver_email, str(email.id))
    return email


def _claim(email_id):
    """Atomically take a pending mail for sending; False if someone else has it."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.status.in_(("pending", "sending")),
            OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now),
        )
        .values(status="sending", locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=OutboxEmail.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver_email(email_id):
    """Send one outbox mail if it is still due; return its status afterwards."""
    email_id = uuid.UUID(str(email_id))
    if not _claim(email_id):
        email = db.session.get(OutboxEmail, email_id)
        return email.status if email else "missing"
    email = db.session.get(OutboxEmail, email_id)
    try:
        send_message(build_message(email))
    except PermanentMailError as exc:
        email.status, email.last_error = "failed", str(exc)[:2000]
        log.warning("Mail %s to %s refused permanently: %s", email.id, email.to_address, exc)
    except Exception as exc:  # transient: connection refused, timeout, 4xx
        email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= MAX_ATTEMPTS:
            email.status = "failed"
        else:
            email.status = "pending"
            email.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** (email.attempts - 1))
        log.warning("Mail %s attempt %s failed: %s", email.id, email.attempts, email.last_error)
    else:
        email.status, email.sent_at, email.last_error = "sent", utcnow(), None
    email.locked_until = None
    db.session.commit()
    return email.status


def drain_outbox(limit=500):
    """Deliver every due pending mail (those whose task was lost); return how many were sent."""
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.status.in_(("pending", "sending")),
            OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now),
        )
        .order_by(OutboxEmail.created_at)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(deliver_email(email_id) == "sent" for email_id in ids)


def build_message(email):
    """Turn an outbox row into a multipart (text + HTML) EmailMessage."""
    message = EmailMessage()
    message["From"] = current_app.config["KIJANI_MAIL_FROM"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = f"<{email.id}@kijani>"
    if email.unsubscribe_url:
        # RFC 8058 one-click: mail clients POST to the URL, no login needed.
        message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.text_body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    for attachment in email.attachments or []:
        maintype, subtype = attachment["content_type"].split(";")[0].split("/")
        message.add_attachment(attachment["content"].encode(), maintype=maintype, subtype=subtype,
                               filename=attachment["filename"])
    return message


def send_message(message):
    """Hand a message to the configured backend: SMTP, or the console in development."""
    config = current_app.config
    if config["KIJANI_MAIL_BACKEND"] == "console":
        body = message.get_body(("plain",)).get_content()
        print(f"--- mail to {message['To']}: {message['Subject']}\n{body}--- end of mail", flush=True)
        return
    try:
        with smtplib.SMTP(config["KIJANI_SMTP_HOST"], config["KIJANI_SMTP_PORT"], timeout=10) as smtp:
            if config["KIJANI_SMTP_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["KIJANI_SMTP_USER"]:
                smtp.login(config["KIJANI_SMTP_USER"], config["KIJANI_SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentMailError(str(exc)) from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
