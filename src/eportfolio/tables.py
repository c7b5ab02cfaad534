"""Imports every feature's tables so that Alembic and the tests see the whole schema."""

from eportfolio.accounts import tables as accounts_tables
from eportfolio.appointments import tables as appointments_tables
from eportfolio.assignments import tables as assignments_tables
from eportfolio.chat import tables as chat_tables
from eportfolio.duty import tables as duty_tables
from eportfolio.intake import tables as intake_tables
from eportfolio.invitations import tables as invitations_tables
from eportfolio.kit import audit as audit_tables
from eportfolio.kit.db import Base
from eportfolio.measurements import tables as measurements_tables
from eportfolio.modules import tables as modules_tables
from eportfolio.notifications import tables as notifications_tables
from eportfolio.portfolio import tables as portfolio_tables
from eportfolio.programmes import tables as programmes_tables
from eportfolio.recovery import tables as recovery_tables
from eportfolio.trajectory import tables as trajectory_tables
from eportfolio.trust import tables as trust_tables
from eportfolio.workshops import tables as workshops_tables

__all__ = [
    "Base",
    "accounts_tables",
    "appointments_tables",
    "assignments_tables",
    "audit_tables",
    "chat_tables",
    "duty_tables",
    "intake_tables",
    "invitations_tables",
    "measurements_tables",
    "modules_tables",
    "notifications_tables",
    "portfolio_tables",
    "programmes_tables",
    "recovery_tables",
    "trajectory_tables",
    "trust_tables",
    "workshops_tables",
]
