"""Request and response schemas of registrations, tickets, check-in and attendee lists."""

import marshmallow as ma
from marshmallow import fields, validate

from kijani.common.schemas import PublicUserSchema
from kijani.registrations.models import STATUSES


class RegistrationEventSchema(ma.Schema):
    """The event a registration is for, in brief."""

    id = fields.UUID()
    title = fields.String(metadata={"example": "Nairobi Python Meetup"})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)
    timezone = fields.String(metadata={"example": "Africa/Nairobi"})
    location = fields.String(metadata={"example": "iHub, Senteu Plaza, Nairobi"})
    status = fields.String(metadata={"example": "published"})


class TicketBriefSchema(ma.Schema):
    code = fields.String(metadata={"example": "KJ-7F3K-9QXA"})
    checked_in_at = fields.DateTime(allow_none=True)


class RegistrationSchema(ma.Schema):
    id = fields.UUID()
    event = fields.Nested(RegistrationEventSchema)
    quantity = fields.Integer(metadata={"example": 2})
    status = fields.String(metadata={"example": "confirmed", "enum": list(STATUSES)})
    waitlist_position = fields.Integer(allow_none=True, metadata={
        "description": "1-based place on the waitlist; null unless waitlisted", "example": None})
    offer_expires_at = fields.DateTime(allow_none=True, metadata={
        "description": "While `offered`: accept before this time"})
    tickets = fields.List(fields.Nested(TicketBriefSchema), attribute="sorted_tickets")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RegistrationCreateSchema(ma.Schema):
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100), metadata={
        "description": "Seats, 1 to the event's max_tickets_per_registration (default 1)",
        "example": 2})


class RegistrationUpdateSchema(ma.Schema):
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=100),
                              metadata={"example": 1})


class RegistrationQueryArgsSchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    when = fields.String(validate=validate.OneOf(("upcoming", "past")),
                         metadata={"description": "upcoming: the event starts now or later"})


class AttendeeSchema(ma.Schema):
    id = fields.UUID()
    user = fields.Nested(PublicUserSchema)
    quantity = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    tickets = fields.List(fields.Nested(TicketBriefSchema), attribute="sorted_tickets")
    created_at = fields.DateTime()


class AttendeeQueryArgsSchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    format = fields.String(validate=validate.OneOf(("json", "csv")), metadata={
        "description": "csv for a download (also chosen by `Accept: text/csv`)"})


class TicketSchema(ma.Schema):
    code = fields.String(metadata={"example": "KJ-7F3K-9QXA"})
    checked_in_at = fields.DateTime(allow_none=True)
    registration_id = fields.UUID()
    registration_status = fields.String(attribute="registration.status", metadata={"example": "confirmed"})
    attendee = fields.Nested(PublicUserSchema, attribute="registration.user")
    event = fields.Nested(RegistrationEventSchema, attribute="registration.event")


class CheckInSchema(ma.Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32),
                         metadata={"example": "KJ-7F3K-9QXA"})
    nonce = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "Scanner-chosen id of this scan: retrying it returns the first 200",
        "example": "scan-4f1c"})


class CheckInResultSchema(ma.Schema):
    code = fields.String(metadata={"example": "KJ-7F3K-9QXA"})
    checked_in_at = fields.DateTime()
    registration_id = fields.UUID()
    attendee = fields.Nested(PublicUserSchema, attribute="registration.user")
    quantity = fields.Integer(attribute="registration.quantity")
