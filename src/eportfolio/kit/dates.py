"""Dates and times as a person reads them: in the programme's time zone and in her language.

The database keeps UTC; nobody is ever shown UTC. One filter, ``when``, formats a ``datetime`` in
the programme's time zone (the organisation's default where a page has none) with words for
recent times ("vandaag 14:05", "gisteren 09:12", "5 minuten geleden"), and a ``date`` as a day
("morgen", "7 december"). Babel does the month names and the order of the parts per language.

Also here: a device named the way she would name it ("Chrome op Android") from a User-Agent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton, format_time, format_timedelta
from jinja2 import pass_context
from jinja2.runtime import Context

from eportfolio.kit import i18n
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_

# The organisation's default where a page is not about one programme (her account, for one).
DEFAULT_TIME_ZONE = "Europe/Amsterdam"
# Babel locale per UI language. English uses the British forms: a 24-hour clock and day before
# month, as on every sign and letter she meets in the Kingdom of the Netherlands.
BABEL_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

JUST_NOW = N_("just now")
TODAY = N_("today %(time)s")
YESTERDAY = N_("yesterday %(time)s")
TOMORROW = N_("tomorrow %(time)s")
DAY_AND_TIME = N_("%(date)s, %(time)s")
TODAY_DAY = N_("today")
YESTERDAY_DAY = N_("yesterday")
TOMORROW_DAY = N_("tomorrow")

# The days anything can be planned on (an appointment, a session): a date outside is a typing
# mistake, and refusing it before any date arithmetic keeps that arithmetic within its range.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
DAY_OUT_OF_RANGE = N_("Please choose a date between the years 2000 and 2100.")
SERIES_TOO_LATE = N_("The series would run past the year 2100. Choose fewer dates or an earlier start.")


def plannable(day: date) -> bool:
    """Whether ``day`` lies between ``EARLIEST_DAY`` and ``LATEST_DAY``."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def series_fits(first: date, step_days: int, count: int) -> bool:
    """Whether ``count`` dates ``step_days`` apart from ``first`` (itself plannable) all stay plannable."""
    return (LATEST_DAY - first).days >= step_days * (count - 1)


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The named time zone; the organisation's default for an empty or unknown name."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def _locale(language: str) -> str:
    return BABEL_LOCALES.get(language, BABEL_LOCALES[i18n.DEFAULT_LANGUAGE])


def _language(language: str) -> str:
    return language if language in BABEL_LOCALES else i18n.DEFAULT_LANGUAGE


def _calendar_day(day: date, today: date, language: str) -> str:
    skeleton = "MMMMd" if day.year == today.year else "yMMMMd"
    return str(format_skeleton(skeleton, day, locale=_locale(language)))


def format_day(
    value: date | datetime,
    language: str,
    time_zone: str | None = None,
    *,
    relative: bool = False,
    now: datetime | None = None,
) -> str:
    """A day: "7 december" (with the year when it is not this one); with ``relative``, "vandaag",
    "morgen" or "gisteren" where they fit. Inside a sentence ("ingeleverd op …", "geldig tot …")
    only the plain day reads well, so that is the default."""
    language = _language(language)
    here = zone(time_zone)
    today = (now or utcnow()).astimezone(here).date()
    day = value.astimezone(here).date() if isinstance(value, datetime) else value
    words = {today: TODAY_DAY, today - timedelta(days=1): YESTERDAY_DAY, today + timedelta(days=1): TOMORROW_DAY}
    if relative and day in words:
        return i18n.gettext(language, words[day])
    return _calendar_day(day, today, language)


def format_moment(value: datetime, language: str, time_zone: str | None = None, *, now: datetime | None = None) -> str:
    """A moment: "zojuist", "5 minuten geleden", "vandaag 14:05", "gisteren 09:12", "3 december, 14:05"."""
    language = _language(language)
    here = zone(time_zone)
    now = now or utcnow()
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # the database keeps UTC
    difference = moment - now
    if abs(difference) < timedelta(minutes=1):
        return i18n.gettext(language, JUST_NOW)
    if abs(difference) < timedelta(hours=1):
        return str(format_timedelta(difference, add_direction=True, threshold=1, locale=_locale(language)))
    local, today = moment.astimezone(here), now.astimezone(here).date()
    time = str(format_time(local, "short", locale=_locale(language)))
    words = {today: TODAY, today - timedelta(days=1): YESTERDAY, today + timedelta(days=1): TOMORROW}
    if local.date() in words:
        return i18n.gettext(language, words[local.date()], time=time)
    return i18n.gettext(language, DAY_AND_TIME, date=_calendar_day(local.date(), today, language), time=time)


def format_clock(value: datetime, language: str, time_zone: str | None = None) -> str:
    """A time of day only, "09:30", in the programme's time zone."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # the database keeps UTC
    return str(format_skeleton("Hm", moment.astimezone(zone(time_zone)), locale=_locale(_language(language))))


def format_weekday_and_time(value: datetime, language: str, time_zone: str | None = None) -> str:
    """ "dinsdag 8 december, 09:30": a moment ahead, with its weekday, in the programme's time zone."""
    language = _language(language)
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # the database keeps UTC
    local = moment.astimezone(zone(time_zone))
    return i18n.gettext(
        language,
        DAY_AND_TIME,
        date=str(format_skeleton("EEEEMMMMd", local, locale=_locale(language))),
        time=str(format_skeleton("Hm", local, locale=_locale(language))),
    )


def when(
    value: date | datetime | None, language: str, time_zone: str | None = None, *, now: datetime | None = None
) -> str:
    """A datetime as a moment, a date as a day, nothing as an empty text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_moment(value, language, time_zone, now=now)
    return format_day(value, language, time_zone, relative=True, now=now)


def _context_time_zone(context: Context) -> str | None:
    """The page's time zone: ``time_zone`` if the page gives one, else its programme's."""
    given = context.get("time_zone")
    if given:
        return str(given)
    programme: Any = context.get("programme")
    found = getattr(programme, "time_zone", None) if programme is not None else None
    if found is None and isinstance(programme, dict):
        found = programme.get("time_zone")
    return str(found) if found else None


@pass_context
def when_filter(context: Context, value: date | datetime | None, time_zone: str | None = None) -> str:
    """``{{ row.created_at|when }}``, or ``|when(programme.time_zone)`` where the page spans programmes."""
    return when(value, str(context.get("lang") or i18n.DEFAULT_LANGUAGE), time_zone or _context_time_zone(context))


@pass_context
def day_filter(
    context: Context, value: date | datetime | None, time_zone: str | None = None, relative: bool = False
) -> str:
    """``{{ a.due_on|day }}``: a day only, also for a datetime (in the page's time zone)."""
    if value is None:
        return ""
    language = str(context.get("lang") or i18n.DEFAULT_LANGUAGE)
    return format_day(value, language, time_zone or _context_time_zone(context), relative=relative)


# Devices -------------------------------------------------------------------------------------

DEVICE = N_("%(browser)s on %(system)s")
UNKNOWN_DEVICE = N_("Unknown device")
UNKNOWN_BROWSER = N_("a browser")
UNKNOWN_SYSTEM = N_("an unknown system")

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", and every iPhone browser
# is Safari underneath but names itself (CriOS, FxiOS).
_BROWSERS = (
    (re.compile(r"SamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"Edg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Safari/|AppleWebKit/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"iPhone"), "iPhone"),
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Macintosh|Mac OS X"), "Mac"),
    (re.compile(r"Linux"), "Linux"),
)


def device_name(user_agent: str | None, language: str) -> str:
    """ "Chrome op Android", "Safari op iPhone": the browser and the system, in her language."""
    agent = (user_agent or "").strip()
    language = _language(language)
    if not agent:
        return i18n.gettext(language, UNKNOWN_DEVICE)
    browser = next((name for pattern, name in _BROWSERS if pattern.search(agent)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(agent)), None)
    if browser is None and system is None:
        return i18n.gettext(language, UNKNOWN_DEVICE)
    return i18n.gettext(
        language,
        DEVICE,
        browser=browser or i18n.gettext(language, UNKNOWN_BROWSER),
        system=system or i18n.gettext(language, UNKNOWN_SYSTEM),
    )


@pass_context
def device_filter(context: Context, user_agent: str | None) -> str:
    return device_name(user_agent, str(context.get("lang") or i18n.DEFAULT_LANGUAGE))
