"""The kernel's models, one module per concern; Django finds them all through this package."""

from .access import AccessRule
from .activity import Activity
from .calendar import CalendarDay, WorkSchedule
from .constants import GlobalConstant
from .timers import ScheduledAction
from .users import Department, User

__all__ = [
    "AccessRule",
    "Activity",
    "CalendarDay",
    "Department",
    "GlobalConstant",
    "ScheduledAction",
    "User",
    "WorkSchedule",
]
