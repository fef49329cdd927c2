"""Schemas shared by several domains."""

import marshmallow as ma
from marshmallow import fields


class PublicUserSchema(ma.Schema):
    """Another user as anyone may see them: never the email."""

    id = fields.UUID()
    username = fields.String(metadata={"example": "tendai"})
    display_name = fields.String(allow_none=True, metadata={"example": "Tendai Moyo"})
