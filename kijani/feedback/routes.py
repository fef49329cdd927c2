"""Feedback endpoints: public list, attendees post, authors edit and delete."""

from flask.views import MethodView
from flask_jwt_extended import current_user, verify_jwt_in_request

from kijani.common.api import Blueprint, paginate
from kijani.events.services import get_event
from kijani.feedback import services
from kijani.feedback.schemas import FeedbackCreateSchema, FeedbackSchema, FeedbackUpdateSchema

blp = Blueprint("feedback", __name__, url_prefix="/api/v1",
                description="Ratings and comments attendees leave after an event.")


@blp.route("/events/<uuid:event_id>/feedback")
class EventFeedback(MethodView):
    @blp.etag
    @blp.response(200, FeedbackSchema(many=True))
    @blp.document_errors(404)
    @blp.paginate()
    def get(self, event_id, pagination_parameters):
        """An event's feedback, newest first (public)."""
        verify_jwt_in_request(optional=True)  # organizers may read feedback of their drafts
        event = get_event(event_id, current_user if current_user else None)
        return paginate(services.feedback_query(event), pagination_parameters)

    @blp.auth_required()
    @blp.arguments(FeedbackCreateSchema)
    @blp.response(201, FeedbackSchema)
    @blp.document_errors(403, 404, 409)
    def post(self, data, event_id):
        """Rate an event you attended, after it ended; one per person (403 non-attendee, 409 early/twice)."""
        return services.leave_feedback(current_user, event_id, data["rating"], data["comment"])


@blp.route("/feedback/<uuid:feedback_id>")
class FeedbackById(MethodView):
    @blp.auth_required()
    @blp.arguments(FeedbackUpdateSchema)
    @blp.response(200, FeedbackSchema)
    @blp.document_errors(403, 404)
    def patch(self, data, feedback_id):
        """Edit your rating or comment."""
        return services.edit_feedback(current_user, feedback_id, data)

    @blp.auth_required()
    @blp.response(204)
    @blp.document_errors(403, 404)
    def delete(self, feedback_id):
        """Delete your feedback (its author only)."""
        services.delete_feedback(current_user, feedback_id)
