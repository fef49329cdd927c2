"""Expand a recurrence rule into occurrence start times, in the event's own timezone."""

from datetime import UTC
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule

from kijani.common.errors import Invalid

MAX_OCCURRENCES = 100
FREQUENCIES = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY}
WEEKDAYS = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}


def occurrence_starts(starts_at, timezone, rule):
    """Return the UTC start of every occurrence of `rule` from `starts_at` (aware).

    The rule runs on local wall-clock time, so a weekly 18:00 Europe/Berlin event stays at
    18:00 in Berlin across daylight-saving changes (its UTC time moves). As in dateutil,
    `starts_at` itself is the first occurrence only when it matches the rule (e.g. its
    weekday is in `byweekday`). A local time skipped by a DST jump (02:30 on the spring
    night) is read with the offset in force before the jump, i.e. moved forward.

    Raises Invalid (422, field `recurrence`) when the rule yields no occurrence or more
    than MAX_OCCURRENCES.
    """
    zone = ZoneInfo(timezone)
    options = {"dtstart": _local(starts_at, zone), "interval": rule.get("interval", 1)}
    if rule.get("count") is not None:
        options["count"] = rule["count"]
    if rule.get("until") is not None:
        options["until"] = _local(rule["until"], zone)
    if rule.get("byweekday"):
        options["byweekday"] = [WEEKDAYS[day] for day in rule["byweekday"]]
    local_starts = list(islice(rrule(FREQUENCIES[rule["freq"]], **options), MAX_OCCURRENCES + 1))
    if len(local_starts) > MAX_OCCURRENCES:
        raise Invalid(f"A series has at most {MAX_OCCURRENCES} occurrences.",
                      {"recurrence": f"This rule gives more than {MAX_OCCURRENCES} occurrences: "
                                     "lower count or move until earlier."})
    if not local_starts:
        raise Invalid("The recurrence rule gives no occurrence.",
                      {"recurrence": "No occurrence between starts_at and until."})
    return [start.replace(tzinfo=zone).astimezone(UTC) for start in local_starts]


def _local(moment, zone):
    """Wall-clock time of `moment` in `zone`, naive (dateutil compares naive with naive)."""
    return moment.astimezone(zone).replace(tzinfo=None)
