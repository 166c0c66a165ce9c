"""Running the task queue in tests: what the worker (huey_consumer app.tasks.huey) would do next."""
from __future__ import annotations

import threading

from huey import signals

from app.tasks import huey

_errors: list[BaseException] = []
_lock = threading.Lock()


@huey.signal(signals.SIGNAL_ERROR)
def _collect(signal, task, exc=None):
    with _lock:
        _errors.append(exc)


def run_pending(limit: int = 1000) -> int:
    """Execute the queued tasks in this process, as one worker would, until the queue is empty.
    A task that raised fails the test. Returns how many tasks ran."""
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        ran += 1
    from flask import has_app_context

    if has_app_context():  # the test reads what the worker wrote, not what it had loaded before
        from app.extensions import db

        db.session.commit()
        db.session.expire_all()
    with _lock:
        errors, _errors[:] = list(_errors), []
    if errors:
        raise AssertionError(f"a queued task failed: {errors[0]!r}") from errors[0]
    return ran


def pending() -> int:
    return huey.pending_count()
