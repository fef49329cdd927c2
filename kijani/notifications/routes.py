"""Notification endpoints: the inbox, read markers and the one-click unsubscribe."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from kijani.common.api import Blueprint, paginate
from kijani.notifications import services
from kijani.notifications.schemas import (
    NotificationQueryArgsSchema,
    NotificationSchema,
    ReadAllSchema,
    UnreadCountSchema,
    UnsubscribeArgsSchema,
    UnsubscribedSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="Your in-app notifications, and email unsubscribe.")


@blp.route("")
class Notifications(MethodView):
    @blp.auth_required()
    @blp.etag
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Your notifications, newest first (`unread=true` for unread only)."""
        return paginate(services.notifications_query(current_user, args["unread"]), pagination_parameters)


@blp.route("/unread-count")
@blp.auth_required()
@blp.etag
@blp.response(200, UnreadCountSchema)
def unread_count():
    """How many of your notifications are unread."""
    return {"unread": services.unread_count(current_user)}


@blp.route("/<uuid:notification_id>/read", methods=["POST"])
@blp.auth_required()
@blp.response(200, NotificationSchema)
@blp.document_errors(404)
def mark_read(notification_id):
    """Mark one notification read (idempotent)."""
    return services.mark_read(current_user, notification_id)


@blp.route("/read-all", methods=["POST"])
@blp.auth_required()
@blp.response(200, ReadAllSchema)
def mark_all_read():
    """Mark all your notifications read."""
    return {"marked_read": services.mark_all_read(current_user)}


@blp.route("/unsubscribe", methods=["GET", "POST"])
@blp.arguments(UnsubscribeArgsSchema, location="query")
@blp.response(200, UnsubscribedSchema)
@blp.document_errors(422)
def unsubscribe(args):
    """One-click unsubscribe from the link in every mail: turns email notifications off."""
    user = services.unsubscribe(args["token"])
    return {"message": "You will no longer receive Kijani emails; in-app notifications continue.",
            "email_notifications": user.email_notifications}
