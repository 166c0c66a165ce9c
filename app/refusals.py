"""The one kind of expected error: a service refusing what it was asked (bad input, a taken time, a locked
note), with the HTTP status, the JSON error code and the message to show.

Every service's refusal subclasses `Refusal`; it imports nothing, so any layer may raise one. The app's
error handler (app/web/errors.py) answers a refusal no view caught: it rolls the transaction back and
answers the error page, or `{"error": {"code", "message"}}` under /api/. A view catches a refusal itself
only to answer differently: a form shown again with the message on its field.
"""
from __future__ import annotations


class Refusal(Exception):
    status: int = 422
    code: str | None = None  # the JSON error code; None: the status's own ("invalid", "conflict", ...)

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
