"""What the appointment forms and the JSON API take and give.

Clock times arrive as "14:30" (a form's time field and the API alike); a malformed one is refused
with a sentence she can act on. That the end lies after the start, that the day has not passed
and that a place is given are checked by the service, which knows the programme's time zone.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from eportfolio.domain.common import DomainModel
from eportfolio.kit.errors import N_

# The longest weekly series a coach can plan at once: the two years of a trajectory.
MAX_WEEKS = 104

_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
CLOCK_MESSAGE = N_("Please enter a time like 14:30.")


def parse_clock(value: object) -> time:
    """ "14:30" (or "14.30", "9:05") as a time of day; anything else is refused."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(CLOCK_MESSAGE)
    return time(int(match.group(1)), int(match.group(2)))


Clock = Annotated[time, BeforeValidator(parse_clock)]
Place = Annotated[str, Field(max_length=120)]


class SeriesCreate(DomainModel):
    """A coach's weekly meetings with her: the first day, the time, and how many weeks."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_date: date
    start: Clock
    end: Clock
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    place: Place = ""
    remote: bool = False


class OwnCreate(DomainModel):
    """An appointment she enters herself (the doctor, the municipality, a school visit)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=120)
    date: date
    start: Clock
    end: Clock
    place: Place = ""


class AppointmentMove(DomainModel):
    """One occurrence to another day, time or place."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: date
    start: Clock
    end: Clock
    place: Place = ""
    remote: bool = False


class AppointmentRead(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    coach_id: uuid.UUID | None
    kind: str  # "coach" (a meeting with her coach) or "own"
    series_id: uuid.UUID | None
    title: str
    place: str
    remote: bool
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    time_zone: str
    # Who else is in it, for the page: her coach's name for her, her name for the coach.
    with_name: str = ""
    # Whether the caller may move or cancel it (the coach a coach meeting, she her own).
    can_change: bool = False
    ics_url: str = ""
