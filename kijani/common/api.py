"""The project's flask-smorest Blueprint: pagination with Link headers, auth and error docs."""

import functools
import json
from urllib.parse import urlencode

import flask_smorest
from flask import request
from flask_jwt_extended import current_user, jwt_required
from sqlalchemy import func, select
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from kijani.common.errors import Forbidden
from kijani.extensions import db

BEARER = [{"bearerAuth": []}]


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint with Kijani's pagination defaults and helpers."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}
    ARGUMENTS_PARSER = None  # set below, once ArgumentsParser is defined

    def _set_pagination_metadata(self, page_params, result, headers):
        result, headers = super()._set_pagination_metadata(page_params, result, headers)
        meta = json.loads(headers[self.PAGINATION_HEADER_NAME])
        links = []
        for rel, key in (("first", "first_page"), ("prev", "previous_page"),
                         ("next", "next_page"), ("last", "last_page")):
            if key in meta:
                args = request.args.to_dict(flat=False)
                args["page"] = [str(meta[key])]
                args["page_size"] = [str(page_params.page_size)]
                links.append(f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return result, headers

    def document_errors(self, *codes):
        """Document the standard error responses a view can return."""

        def decorator(func_):
            for code in codes:
                func_ = self.alt_response(code, response=_RESPONSE_NAMES[code])(func_)
            return func_

        return decorator

    def auth_required(self, *roles, refresh=False):
        """Require a valid access token (and one of `roles`, if given); document it."""

        def decorator(func_):
            @functools.wraps(func_)
            def wrapper(*args, **kwargs):
                if roles and current_user.role not in roles:
                    raise Forbidden(f"This requires the role {' or '.join(roles)}.")
                return func_(*args, **kwargs)

            wrapped = jwt_required(refresh=refresh)(wrapper)
            wrapped = self.doc(security=BEARER)(wrapped)
            codes = (401, 403) if roles else (401,)
            return self.document_errors(*codes)(wrapped)

        return decorator


_RESPONSE_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


def paginate(stmt, pagination_parameters):
    """Run a count and one page of `stmt`; two statements whatever the page size.

    A page past the end is an empty list (without asking the database for an OFFSET that
    may not even fit in its integers).
    """
    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = pagination_parameters.item_count = db.session.scalar(count_stmt)
    if pagination_parameters.first_item >= total:
        return []
    page = stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
    return db.session.scalars(page).all()


NUL, REPLACEMENT = "\x00", "\ufffd"


def _without_nul(value):
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


class ArgumentsParser(FlaskParser):
    """webargs' parser with NUL characters replaced by U+FFFD in JSON bodies and query strings.

    PostgreSQL text can neither store nor compare NUL; no legitimate client sends it, and
    replacing it (as PostgreSQL-backed services commonly do) keeps such input an ordinary
    value for validation instead of a database error.
    """

    def load_json(self, req, schema):
        return _without_nul(super().load_json(req, schema))

    def load_querystring(self, req, schema):
        args = MultiDict((_without_nul(k), _without_nul(v)) for k, v in req.args.items(multi=True))
        return self._makeproxy(args, schema)


Blueprint.ARGUMENTS_PARSER = ArgumentsParser()
