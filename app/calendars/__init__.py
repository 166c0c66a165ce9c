"""Busy times from the practitioner's own calendars (CalDAV or a private .ics address).

`sync_all(now) -> list[SyncResult]` fetches every calendar and replaces its busy times; the
`sync-calendars` CLI command calls it, and a task queue can schedule it as a periodic task.
"""
from app.calendars.sync import SyncResult, SyncRunning, sync_all

__all__ = ["SyncResult", "SyncRunning", "sync_all"]
