"""Schemas of the notifications endpoints."""

import marshmallow as ma
from marshmallow import fields

from kijani.notifications.models import KINDS


class NotificationSchema(ma.Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": list(KINDS), "example": "registration_confirmed"})
    title = fields.String(metadata={"example": "You're in: Nairobi Python Meetup"})
    body = fields.String(metadata={"example": "Your registration for 2 seats is confirmed."})
    event_id = fields.UUID(allow_none=True)
    registration_id = fields.UUID(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None, metadata={"type": "boolean"})
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationQueryArgsSchema(ma.Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread notifications"})


class UnreadCountSchema(ma.Schema):
    unread = fields.Integer(metadata={"example": 3})


class ReadAllSchema(ma.Schema):
    marked_read = fields.Integer(metadata={"example": 3, "description": "How many became read"})


class UnsubscribeArgsSchema(ma.Schema):
    token = fields.String(required=True, validate=ma.validate.Length(min=1, max=512),
                          metadata={"description": "The signed token from the mail's link"})


class UnsubscribedSchema(ma.Schema):
    message = fields.String(metadata={"example": "You will no longer receive Kijani emails."})
    email_notifications = fields.Boolean(metadata={"example": False})
