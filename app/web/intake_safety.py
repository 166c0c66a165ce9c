"""The red-flag screen on the booking path (/book/safety), before a time can be held.

The answers are read and forgotten: they are never stored in the database, written to a log, or put in a
URL (the form is POSTed). The session keeps only when the screen was last passed, under the
``booking_intent`` key, which survives logging in (app/web/sessions.py). A "yes" clears that and shows
emergency advice instead of booking.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from app.clock import utcnow
from app.intake import red_flags
from app.web.errors import error_response
from app.web.security import safe_next

bp = Blueprint("safety", __name__, url_prefix="/book/safety")

SESSION_KEY = "booking_intent"
PASSED_AT = "safety_screen_passed_at"
ASK_FIRST = "Before we hold a time, please answer a few quick safety questions."


def screen_passed() -> bool:
    intent = session.get(SESSION_KEY)
    return isinstance(intent, dict) and red_flags.passed_recently(intent.get(PASSED_AT), utcnow())


def _remember_passed() -> None:
    session[SESSION_KEY] = {PASSED_AT: int(utcnow().timestamp())}


def _forget() -> None:
    session.pop(SESSION_KEY, None)


def redirect_to_screen(next_url: str | None = None):
    """Send the patient to the screen; she comes back to ``next_url`` (a local path) once it is passed."""
    return redirect(url_for("safety.screen", next=next_url or request.full_path.rstrip("?")), 303)


def api_refusal(body: dict):
    """None when a booking request may go ahead: the JSON body's ``safety_screen`` says every answer is
    no (``{"all_no": true}``), or this session passed the screen recently. Otherwise a JSON error."""
    screen = body.get("safety_screen")
    if screen is None and screen_passed():
        return None
    outcome = red_flags.assess_api(screen) if screen is not None else None
    if outcome is None:
        return error_response(
            422, "Answer the safety screen first: send \"safety_screen\": {\"all_no\": true} when the patient "
                 "has none of the warning signs listed in the API description.",
            code="safety_screen_required", extra={"param": "safety_screen"})
    advice = outcome.advice
    if outcome.emergency and advice is not None:
        return error_response(422, f"{advice.title}. {' '.join(advice.steps)}",
                              code="emergency", extra={"advice": list(advice.steps), "outcome": outcome.kind})
    if not outcome.passed and advice is not None:
        confirm = ', "checked_since": true' if outcome.kind == red_flags.RECENT_REACTION else ""
        return error_response(
            422, f"{advice.title}. {' '.join(advice.steps)} Show this to the patient; to go on, send the same "
                 f"answers with \"acknowledged\": \"{outcome.kind}\"{confirm}.",
            code=outcome.kind, extra={"advice": list(advice.steps), "outcome": outcome.kind,
                                      # the advice refers to them: the client shows them too
                                      "warning_signs": list(red_flags.WARNING_SIGNS)})
    return None


def _next_url() -> str:
    return safe_next(request.values.get("next"), url_for("booking.choose_type"))


@bp.get("")
def screen():
    return render_template("intake/safety.html", next_url=_next_url(), error=None, rf=red_flags)


SCREEN_FIELD, NONE, SOME = "screen", "none", "some"
STEP_FIELD, WHICH = "step", "which"


@bp.post("")
def answer():
    """One answer for the whole list ("none" passes); "some" asks which (the ticked signs are yes, the rest
    no); the per-question form (the advice pages' acknowledgement, older clients) is read as it is."""
    form = request.form
    if form.get(STEP_FIELD) == WHICH:
        ticked = {q.field for q in red_flags.QUESTIONS if form.get(q.field) == "yes"}
        if not ticked:
            return _which_page(error=red_flags.TICK_ONE), 422
        return _outcome_page({q.field: "yes" if q.field in ticked else "no" for q in red_flags.QUESTIONS})
    screen = form.get(SCREEN_FIELD)
    if screen == NONE:
        return _outcome_page({q.field: "no" for q in red_flags.QUESTIONS})
    if screen == SOME:
        return _which_page(error=None)
    if any(q.field in form for q in red_flags.QUESTIONS):
        return _outcome_page({q.field: form.get(q.field) for q in red_flags.QUESTIONS})
    return render_template("intake/safety.html", next_url=_next_url(), error=red_flags.CHOOSE_ONE,
                           rf=red_flags), 422


def _which_page(error: str | None):
    return render_template("intake/safety_which.html", next_url=_next_url(), error=error, rf=red_flags)


def _outcome_page(values: dict[str, str | None]):
    outcome = red_flags.assess({**values, **{key: request.form[key] for key in (
        red_flags.ACK_FIELD, red_flags.RECENT_CONFIRM_FIELD) if key in request.form}})
    if outcome.emergency:
        _forget()
        return render_template("intake/emergency.html", rf=red_flags, outcome=outcome)
    if outcome.errors:  # some questions of the per-question form unanswered: ask with the one answer again
        return render_template("intake/safety.html", next_url=_next_url(), error=red_flags.CHOOSE_ONE,
                               rf=red_flags), 422
    if not outcome.passed:
        # Advice to read first (a sign on its own, or a reaction in the last 3 days): the answers travel back
        # in the form's hidden fields, never in the session or a link.
        _forget()
        status = 422 if request.form.get(red_flags.ACK_FIELD) else 200
        return render_template("intake/safety_advice.html", next_url=_next_url(), rf=red_flags,
                               outcome=outcome, values=values), status
    _remember_passed()
    return redirect(_next_url(), 303)
