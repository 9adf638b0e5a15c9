"""Per-connection schedules, a due-list, re-auth reminders and Celery tasks."""

from client.schedule.due import due_connections, set_paused, set_schedule

__all__ = ["due_connections", "set_paused", "set_schedule"]
