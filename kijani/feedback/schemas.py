"""Schemas of the feedback endpoints."""

import marshmallow as ma
from marshmallow import fields, validate

from kijani.common.schemas import PublicUserSchema


class FeedbackSchema(ma.Schema):
    id = fields.UUID()
    event_id = fields.UUID()
    user = fields.Nested(PublicUserSchema)
    rating = fields.Integer(metadata={"example": 5})
    comment = fields.String(metadata={"example": "Great talks and the chai was excellent."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FeedbackCreateSchema(ma.Schema):
    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5),
                            metadata={"example": 5, "description": "1 (poor) to 5 (excellent)"})
    comment = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata={"example": "Great talks and the chai was excellent."})


class FeedbackUpdateSchema(ma.Schema):
    rating = fields.Integer(validate=validate.Range(min=1, max=5), metadata={"example": 4})
    comment = fields.String(validate=validate.Length(max=2000))
