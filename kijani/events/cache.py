"""Redis cache of the public event reads, invalidated by every committed write."""

import functools
import hashlib
import json
import logging
import re
from itertools import chain

from flask import Response, current_app, request
from flask_smorest.exceptions import NotModified
from sqlalchemy import event as sa_event
from sqlalchemy.sql.elements import TextClause

from kijani.auth.models import User
from kijani.events.models import Category, Event, EventTag
from kijani.extensions import db

log = logging.getLogger(__name__)

# # GET /events and GET /events/{id} (anonymous) are answered from Redis when the same URL
# was answered before in the current *generation*. The generation is a counter in Redis
# that every committed write to events, event_tags, categories or users moves on (see
# `_note_writes` below: flushes, bulk statements and plain SQL through the session), so a
# cached answer is never older than the last write that committed: a reader that started
# before the commit stores its answer under the old generation, which nobody reads again.
# Writes made outside the app's session (psql, migrations) are not seen: restart the app
# or run `redis-cli INCR kijani:events:generation`. Without REDIS_URL nothing is cached.

GENERATION_KEY = "kijani:events:generation"
ENTRY_PREFIX = "kijani:events:read:"
CACHED_HEADERS = ("Content-Type", "ETag", "X-Pagination", "Link")
WATCHED_TABLES = frozenset({"events", "event_tags", "categories", "users"})
_CHANGED = "kijani_events_changed"
_SQL_WRITE = re.compile(r"^\s*(?:insert\s+into|update|delete\s+from|truncate)\b(.*)$", re.I | re.S)
# One round trip: the current generation and the entry stored under it.
_LOOKUP = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation)}
"""


class ReadCache:
    """The Redis side: look up, store, and move on to the next generation."""

    def __init__(self, url, ttl):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.lookup_script = self.redis.register_script(_LOOKUP)
        self.ttl = ttl

    def lookup(self, key):
        """(generation, cached payload or None); (None, None) when Redis is unreachable."""
        try:
            generation, payload = self.lookup_script(keys=[GENERATION_KEY], args=[key])
        except Exception as exc:
            log.warning("Event read cache unavailable (%s); answering from the database", exc)
            return None, None
        return generation.decode(), payload

    def store(self, key, generation, response):
        headers = {name: response.headers[name] for name in CACHED_HEADERS if name in response.headers}
        payload = json.dumps(headers).encode() + b"\n" + response.get_data()
        try:
            self.redis.set(key + generation, payload, ex=self.ttl)
        except Exception as exc:
            log.warning("Could not cache an event read: %s", exc)

    def next_generation(self):
        try:
            self.redis.incr(GENERATION_KEY)
        except Exception as exc:  # entries expire after KIJANI_EVENTS_CACHE_SECONDS anyway
            log.error("Could not invalidate the event read cache: %s", exc)


def cached_read(anonymous_only):
    """Answer a GET from the read cache when possible; store 200 answers for the next asker."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            cache = current_app.extensions.get("kijani_read_cache")
            if cache is None or (anonymous_only and "Authorization" in request.headers):
                return view(*args, **kwargs)
            key = ENTRY_PREFIX + hashlib.sha1(request.url.encode()).hexdigest() + ":"
            generation, payload = cache.lookup(key)
            if payload is not None:
                head, _, body = payload.partition(b"\n")
                response = Response(body, headers=json.loads(head))
                etag, _ = response.get_etag()
                if etag and etag in request.if_none_match:
                    raise NotModified
                return response
            response = view(*args, **kwargs)
            if generation is not None and isinstance(response, Response) and response.status_code == 200:
                cache.store(key, generation, response)
            return response

        return wrapper

    return decorator


def _note_writes_in_flush(session, flush_context, instances):
    for instance in chain(session.new, session.dirty, session.deleted):
        if isinstance(instance, (Event, EventTag, Category)) or (
                isinstance(instance, User) and instance not in session.new):
            session.info[_CHANGED] = True
            return


def _note_writes_in_statement(state):
    statement = state.statement
    if isinstance(statement, TextClause):
        match = _SQL_WRITE.match(statement.text)
        if match and set(re.findall(r"\w+", match.group(1).lower())) & WATCHED_TABLES:
            state.session.info[_CHANGED] = True
    elif statement.is_dml and getattr(statement.table, "name", None) in WATCHED_TABLES:
        state.session.info[_CHANGED] = True


def _next_generation_after_commit(session):
    if session.info.pop(_CHANGED, False):
        cache = current_app.extensions.get("kijani_read_cache") if current_app else None
        if cache is not None:
            cache.next_generation()


def _forget_rolled_back_writes(session, previous_transaction):
    session.info.pop(_CHANGED, None)


def init_read_cache(state):
    """Give the app its read cache (with REDIS_URL) and watch the session for writes."""
    app = state.app
    seconds = app.config.get("KIJANI_EVENTS_CACHE_SECONDS", 0)
    if not app.config.get("REDIS_URL") or not seconds:
        return
    cache = app.extensions["kijani_read_cache"] = ReadCache(app.config["REDIS_URL"], seconds)
    cache.next_generation()  # a new deployment may answer differently: start afresh
    if not sa_event.contains(db.session, "after_commit", _next_generation_after_commit):
        sa_event.listen(db.session, "before_flush", _note_writes_in_flush)
        sa_event.listen(db.session, "do_orm_execute", _note_writes_in_statement)
        sa_event.listen(db.session, "after_commit", _next_generation_after_commit)
        sa_event.listen(db.session, "after_soft_rollback", _forget_rolled_back_writes)
