"""The JSON API under /api/v1, described by /api/v1/openapi.json."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user

from app import bookings
from app.billing import consultations
from app.billing.client import enabled as billing_enabled
from app.clock import utcnow
from app.database import writes
from app.extensions import db
from app.intake import exports as intake_exports
from app.intake.access import response_for
from app.models.audit import record
from app.models.scheduling import Appointment, AppointmentStatus, ConsultationType
from app.scheduling import booking, schedule
from app.scheduling.profiles import the_practice
from app.scheduling.queries import appointment_for
from app.timezones import valid_zone_name
from app.web.errors import error_response
from app.web.forms import EARLIEST_YEAR, LATEST_YEAR, plausible_date
from app.web.intake_safety import api_refusal
from app.web.limits import booking_limits
from app.web.openapi import openapi_document
from app.web.timefmt import to_zone

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_WINDOW_DAYS = 62
SLOTS_MAX_AGE = 1  # seconds a browser or proxy may reuse an answer (the snapshot's own staleness)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def invalid(message: str, param: str | None = None):
    return error_response(422, message, code="invalid", extra={"param": param} if param else None)


def _type_json(ct: ConsultationType) -> dict:
    return {"slug": ct.slug, "name": ct.name, "description": ct.description, "duration_minutes": ct.duration_minutes,
            "price": {"amount": ct.price_minor, "currency": ct.currency}, "mode": ct.mode,
            "intake_required": ct.intake_required}


@bp.get("/consultation-types")
def consultation_types():
    practice = the_practice()
    types = [ct for ct in (practice.consultation_types if practice else []) if ct.active]
    return jsonify({"consultation_types": [_type_json(ct) for ct in types],
                    "timezone": practice.timezone if practice else None})


@bp.get("/slots")
def slots():
    """Open times, from the per-process cache (see app/scheduling/cache.py), cacheable for a second by
    browsers and proxies, with a strong ETag so a client that has the answer gets a bodiless 304."""
    query = _slots_query(request.args)
    snapshot = schedule.type_snapshot(query.type)
    if snapshot is None:
        return invalid("Unknown consultation type: give `type` as one of the slugs from /consultation-types.", "type")
    zone = query.tz or snapshot.timezone
    if not valid_zone_name(zone):
        return invalid("`tz` must be an IANA time zone such as America/New_York.", "tz")
    if query.problem:
        return invalid(*query.problem)
    assert query.start is not None and query.end is not None  # no problem means both dates parsed
    window_start, window_end = _local_window(query.start, query.end, zone)
    fragments = _slot_fragments(snapshot.duration_minutes, zone)
    validator, body = schedule.published_slots(
        snapshot, window_start, window_end, utcnow(), zone,
        lambda starts: '{"slots":[%s],"timezone":%s,"type":%s}' % (
            ",".join(fragments(start) for start in starts), json.dumps(zone), json.dumps(snapshot.slug)))
    etag = f"{validator}.{snapshot.slug}.{zone}.{query.start}.{query.end}"
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body(), mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = SLOTS_MAX_AGE
    return response


class SlotsQuery(NamedTuple):
    type: str
    tz: str | None
    start: date | None
    end: date | None
    problem: tuple[str, str] | None  # (message, parameter) of the first date problem


def _slots_query(args) -> SlotsQuery:
    """GET /slots parameters from request.args, with the first date problem found."""
    days: dict[str, date] = {}
    problem = None
    for name in ("start", "end"):
        try:
            days[name] = date.fromisoformat(args.get(name, ""))
        except ValueError:
            problem = (f"`{name}` must be a date as YYYY-MM-DD.", name)
            break
        if not plausible_date(days[name]):
            problem = (f"`{name}` must be a date between {EARLIEST_YEAR} and {LATEST_YEAR}.", name)
            break
    if problem is None and days["end"] < days["start"]:
        problem = ("`end` must not be before `start`.", "end")
    elif problem is None and (days["end"] - days["start"]).days + 1 > MAX_WINDOW_DAYS:
        problem = (f"Ask for at most {MAX_WINDOW_DAYS} days at a time.", "end")
    return SlotsQuery(args.get("type", ""), args.get("tz") or None, days.get("start"), days.get("end"), problem)


@lru_cache(maxsize=1024)
def _local_window(start: date, end: date, zone: str) -> tuple[datetime, datetime]:
    return schedule.local_window(start, end, zone)


@lru_cache(maxsize=64)
def _slot_fragments(duration_minutes: int, zone: str):
    """JSON for one slot in one zone, memoised: the hot path of GET /slots is mostly formatting."""
    duration = timedelta(minutes=duration_minutes)

    @lru_cache(maxsize=8192)
    def fragment(start) -> str:
        return json.dumps({"start": to_zone(start, zone).isoformat(),
                           "end": to_zone(start + duration, zone).isoformat()})

    return fragment


def booking_json(appointment: Appointment, checkout_url: str | None = None) -> dict:
    zone = appointment.patient_timezone
    if checkout_url is None and appointment.status == AppointmentStatus.PENDING_PAYMENT:
        payment = consultations.find_open_payment(appointment)
        checkout_url = payment.checkout_url if payment else None
    return {
        "id": appointment.id,
        "status": appointment.status,
        "start": to_zone(appointment.starts_at, zone).isoformat(),
        "end": to_zone(appointment.ends_at, zone).isoformat(),
        "type": appointment.consultation_type.slug,
        "payment": {"status": appointment.payment_status, "checkout_url": checkout_url},
    }


_UNREADABLE = object()


def _json_body(*, empty_is_none: bool = False):
    """The request's JSON, or _UNREADABLE when it is not JSON or nested too deep to read (a 1,000-deep
    array overflows the parser's recursion: issue 20), so the caller answers 422 rather than 500.
    `empty_is_none`: an empty body is None (no body sent) rather than unreadable."""
    if empty_is_none and not request.get_data().strip():
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return _UNREADABLE
    return _UNREADABLE if body is None else body


def _signed_in_patient():
    if not current_user.is_authenticated:
        return error_response(401, "Log in as a patient to book.", code="unauthorized")
    if not current_user.is_patient:
        return error_response(403, "Only patients book through this endpoint.")
    return None


@bp.post("/bookings")
@booking_limits
def create_booking():
    refusal = _signed_in_patient()
    if refusal:
        return refusal
    body = _json_body()
    if not isinstance(body, dict):
        return invalid("Send a JSON object: {\"type\": SLUG, \"start\": ISO-8601}.")
    ct = schedule.active_type(body.get("type")) if isinstance(body.get("type"), str) else None
    if ct is None:
        return invalid("Unknown consultation type.", "type")
    try:
        start = datetime.fromisoformat(str(body.get("start", "")).replace("Z", "+00:00"))
    except ValueError:
        return invalid("`start` must be an ISO-8601 date-time with an offset, e.g. 2026-12-01T14:00:00Z.", "start")
    if start.tzinfo is None:
        return invalid("`start` needs a UTC offset, e.g. 2026-12-01T14:00:00Z.", "start")
    if not plausible_date(start):
        return invalid("`start` must be one of the open times from /slots.", "start")
    refusal = api_refusal(body)  # the red-flag screen, before any time is held
    if refusal:
        return refusal
    try:
        placed = bookings.place(booking.BookingRequest(
            patient=current_user, consultation_type=ct, start=start, patient_timezone=current_user.timezone,
            note=str(body.get("note") or "")[:2000], take_payment=billing_enabled()), utcnow())
    except booking.BookingError as error:
        nearest = [to_zone(s, current_user.timezone).isoformat() for s in error.nearest]
        extra = {"nearest": nearest} if isinstance(error, booking.SlotTaken) else None
        code = "hold_limit" if isinstance(error, booking.HoldLimit) else (
            "slot_taken" if error.status == 409 else "invalid")
        return error_response(error.status, error.message, code=code, extra=extra)
    # Stripe unreachable: the hold stays; GET /bookings/ID or the pay page can start checkout later.
    appointment = placed.appointment
    response = jsonify(booking_json(appointment, placed.checkout_url))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_booking", appointment_id=appointment.id)
    return response


def _visible_appointment(appointment_id: int) -> Appointment | None:
    """The owner's or the practitioner's; anyone else gets None (a 404, not a 403: no probing)."""
    if not current_user.is_authenticated:
        return None
    return appointment_for(current_user, appointment_id)


@bp.get("/bookings/<int:appointment_id>")
def get_booking(appointment_id: int):
    appointment = _visible_appointment(appointment_id)
    if appointment is None:
        return error_response(404, "No such booking.")
    return jsonify(booking_json(appointment))


@bp.post("/bookings/<int:appointment_id>/cancel")
def cancel_booking(appointment_id: int):
    appointment = _visible_appointment(appointment_id)
    if appointment is None:
        return error_response(404, "No such booking.")
    # No body is fine (the reason is optional); a body must be a JSON object.
    body = _json_body(empty_is_none=True)
    body = {} if body is None else body
    if not isinstance(body, dict):
        return invalid("Send a JSON object, e.g. {\"reason\": \"...\"}, or no body.")
    bookings.cancel(appointment, by=current_user, now=utcnow(), reason=str(body.get("reason") or "")[:500])
    return jsonify(booking_json(appointment))


def _fhir(resource: dict):
    response = jsonify(resource)
    response.mimetype = intake_exports.FHIR_JSON
    return response


@bp.get("/intake/questionnaire")
def intake_questionnaire():
    """The current version, or ``?version=2026.1`` for the one an older response names."""
    version = request.args.get("version") or None
    try:
        return _fhir(intake_exports.questionnaire_json(current_app.config["BASE_URL"], version))
    except KeyError:
        return error_response(404, "No such questionnaire version.")


@bp.get("/intake/responses/<int:response_id>")
@writes  # an audited read: its audit row is written with it
def intake_response(response_id: int):
    response = response_for(current_user, response_id) if current_user.is_authenticated else None
    if response is None:
        return error_response(404, "No such questionnaire response.")
    if current_user.is_practitioner:
        record("view", "intake", response.id, actor=current_user, patient_id=response.patient_id,
               detail={"format": "fhir", "version": response.version})
        db.session.commit()
    return _fhir(intake_exports.response_json(response, current_app.config["BASE_URL"]))
