"""Registration, ticket, check-in and attendee endpoints: parse, call services, return."""

import csv
import io

import marshmallow as ma
import segno
from flask import Response, jsonify, request
from flask.views import MethodView
from flask_jwt_extended import current_user

from kijani.common.api import Blueprint, paginate
from kijani.events.services import get_event_to_manage
from kijani.extensions import db
from kijani.registrations import services
from kijani.registrations.models import IdempotencyRecord
from kijani.registrations.schemas import (
    AttendeeQueryArgsSchema,
    AttendeeSchema,
    CheckInResultSchema,
    CheckInSchema,
    RegistrationCreateSchema,
    RegistrationQueryArgsSchema,
    RegistrationSchema,
    RegistrationUpdateSchema,
    TicketSchema,
)

blp = Blueprint("registrations", __name__, url_prefix="/api/v1",
                description="Register for events, manage your registrations and tickets, check in.")

CSV_COLUMNS = ["registration_id", "username", "display_name", "quantity", "status", "ticket_codes",
               "checked_in", "registered_at"]


class IdempotencyHeaderSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=[ma.validate.Length(min=1, max=255),
                  ma.validate.Regexp(r"^[\x20-\x7e]+$", error="Printable ASCII only.")],
        metadata={"description": "Replays the first response for the same key within 24 h"})


@blp.route("/events/<uuid:event_id>/registrations")
class EventRegistrations(MethodView):
    @blp.auth_required()
    @blp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
    @blp.arguments(RegistrationCreateSchema)
    @blp.response(201, RegistrationSchema)
    @blp.document_errors(404, 409)
    def post(self, data, event_id, idempotency_key=None):
        """Register: confirmed with tickets when all seats are free, else waitlisted (all or nothing)."""
        result = services.register_for_event(
            current_user, event_id, data["quantity"], idempotency_key=idempotency_key,
            render=lambda registration: (201, RegistrationSchema().dump(registration)))
        if isinstance(result, IdempotencyRecord):
            response = jsonify(result.response)
            response.status_code = result.status_code
            response.headers["Idempotent-Replayed"] = "true"
            return response
        return result


@blp.route("/registrations")
class Registrations(MethodView):
    @blp.auth_required()
    @blp.etag
    @blp.arguments(RegistrationQueryArgsSchema, location="query")
    @blp.response(200, RegistrationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Your registrations, newest first (`status`, `when=upcoming|past`)."""
        page = paginate(services.user_registrations_query(current_user, **args), pagination_parameters)
        return services.attach_waitlist_positions(page)


@blp.route("/registrations/<uuid:registration_id>")
class RegistrationById(MethodView):
    @blp.auth_required()
    @blp.etag
    @blp.response(200, RegistrationSchema)
    @blp.document_errors(404)
    def get(self, registration_id):
        """One of your registrations with its tickets."""
        return services.get_registration(registration_id, current_user)

    @blp.auth_required()
    @blp.arguments(RegistrationUpdateSchema)
    @blp.response(200, RegistrationSchema)
    @blp.document_errors(404, 409)
    def patch(self, data, registration_id):
        """Change the number of seats (lowering frees seats for the waitlist)."""
        return services.change_quantity(current_user, registration_id, data["quantity"])


@blp.route("/registrations/<uuid:registration_id>/cancel", methods=["POST"])
@blp.auth_required()
@blp.response(200, RegistrationSchema)
@blp.document_errors(404, 409)
def cancel_registration(registration_id):
    """Cancel (or decline an offer); a second call returns the same body."""
    return services.cancel_registration(current_user, registration_id)


@blp.route("/registrations/<uuid:registration_id>/accept", methods=["POST"])
@blp.auth_required()
@blp.response(200, RegistrationSchema)
@blp.document_errors(404, 409)
def accept_offer(registration_id):
    """Accept a waitlist offer before `offer_expires_at`: confirmed with tickets."""
    return services.accept_offer(current_user, registration_id)


@blp.route("/tickets/<string:code>")
@blp.auth_required()
@blp.etag
@blp.response(200, TicketSchema)
@blp.document_errors(404)
def get_ticket(code):
    """A ticket: its owner, the event's organizer or an admin."""
    return services.get_ticket(code, current_user)


@blp.route("/tickets/<string:code>/qr.png")
@blp.auth_required()
@blp.doc(responses={"200": {"description": "QR code of the ticket code",
                            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}})
@blp.document_errors(404)
def ticket_qr(code):
    """A PNG QR code of the ticket code, for scanning at the door."""
    ticket = services.get_ticket(code, current_user)
    buffer = io.BytesIO()
    segno.make(ticket.code, error="m").save(buffer, kind="png", scale=8, border=2)
    return Response(buffer.getvalue(), mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=86400"})


@blp.route("/events/<uuid:event_id>/check-in", methods=["POST"])
@blp.auth_required()
@blp.arguments(CheckInSchema)
@blp.response(200, CheckInResultSchema)
@blp.document_errors(403, 404, 409)
def check_in(data, event_id):
    """Mark a ticket used (organizer or admin); 409 when already used, unless the same nonce."""
    return services.check_in(current_user, event_id, data["code"], data.get("nonce"))


@blp.route("/events/<uuid:event_id>/attendees")
@blp.auth_required()
@blp.etag
@blp.arguments(AttendeeQueryArgsSchema, location="query")
@blp.response(200, AttendeeSchema(many=True))
@blp.doc(responses={"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
@blp.document_errors(403, 404)
@blp.paginate()
def attendees(args, event_id, pagination_parameters):
    """Every registration of the event (owner or admin); `?format=csv` or `Accept: text/csv` for CSV."""
    event = get_event_to_manage(event_id, current_user)
    stmt = services.attendees_query(event, args.get("status"))
    if _wants_csv(args):  # the download is the whole list, not a page
        registrations = db.session.scalars(stmt).all()
        pagination_parameters.item_count = len(registrations)
        return _csv_download(event, registrations)
    return paginate(stmt, pagination_parameters)


def _wants_csv(args):
    if "format" in args:
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def _cell(text):
    """Neutralise spreadsheet formulas (=, +, -, @, tab, CR) in user-written text."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_download(event, registrations):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for registration in registrations:
        checked = sum(1 for t in registration.tickets if t.checked_in_at)
        writer.writerow([registration.id, registration.user.username, _cell(registration.user.display_name),
                         registration.quantity, registration.status,
                         " ".join(t.code for t in registration.tickets), checked,
                         registration.created_at.isoformat()])
    filename = f"attendees-{event.id}.csv"
    blp.set_etag(out.getvalue())  # 304 when unchanged, like the JSON list
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

