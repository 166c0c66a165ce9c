"""The OpenAPI 3.1 description of /api/v1, kept next to the routes it describes."""
from __future__ import annotations

from app.intake import red_flags
from app.models.scheduling import AppointmentStatus

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "param": {"type": "string"},
                       "nearest": {"type": "array", "items": {"type": "string", "format": "date-time"}},
                       "advice": {"type": "array", "items": {"type": "string"}},
                       "warning_signs": {"type": "array", "items": {"type": "string"}}}}},
}
CONSULTATION_TYPE = {
    "type": "object",
    "required": ["slug", "name", "description", "duration_minutes", "price", "mode", "intake_required"],
    "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "duration_minutes": {"type": "integer", "minimum": 1},
        "price": {"type": "object", "required": ["amount", "currency"],
                  "properties": {"amount": {"type": "integer", "minimum": 0, "description": "minor units"},
                                 "currency": {"type": "string", "minLength": 3, "maxLength": 3}}},
        "mode": {"type": "string", "enum": ["video", "phone", "in_person"]},
        "intake_required": {"type": "boolean"},
    },
}
SLOT = {"type": "object", "required": ["start", "end"],
        "properties": {"start": {"type": "string", "format": "date-time"}, "end": {"type": "string", "format": "date-time"}}}
BOOKING = {
    "type": "object",
    "required": ["id", "status", "start", "end", "type", "payment"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": [status.value for status in AppointmentStatus]},
        "start": {"type": "string", "format": "date-time"}, "end": {"type": "string", "format": "date-time"},
        "type": {"type": "string"},
        "payment": {"type": "object", "required": ["status", "checkout_url"],
                    "properties": {"status": {"type": "string"},
                                   "checkout_url": {"type": ["string", "null"]}}},
    },
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _query(name: str, description: str, schema: dict, required: bool = True) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


BOOKING_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
SAFETY_SCREEN = {
    "type": "object",
    "description": "The red-flag (anaphylaxis) screen: whether the patient has any of these warning signs now "
                   "(airway, breathing and circulation signs: yes if present now; skin, gut and dread: yes if "
                   "new, sudden or much worse than usual; `recent_reaction`: adrenaline used or a severe "
                   "reaction in the last 3 days). `{\"all_no\": true}` when none applies. Airway, breathing or "
                   "circulation signs, skin signs with severe gut symptoms, or chest pain refuse the booking "
                   "with code `emergency` and the advice. A single other sign (code `watch`) or a recent "
                   "reaction (code `recent_reaction`) is refused with `advice` and `warning_signs` to show the "
                   "patient; send the same "
                   "answers again with `acknowledged` set to that code (and `checked_since: true` after a "
                   "reaction, once she confirms a check-up since) to go on. Answers are not stored.",
    "properties": {"all_no": {"type": "boolean"},
                   **{q.key: {"type": "boolean", "description": q.text} for q in red_flags.QUESTIONS},
                   "acknowledged": {"type": "string", "enum": sorted(red_flags.ACKNOWLEDGEABLE)},
                   "checked_since": {"type": "boolean", "description": red_flags.RECENT_CONFIRM}},
}
FHIR_RESOURCE = {"type": "object", "required": ["resourceType"],
                 "properties": {"resourceType": {"type": "string"}}}


def _fhir(description: str, resource_type: str) -> dict:
    return {"description": description, "content": {"application/fhir+json": {"schema": {
        "allOf": [{"$ref": "#/components/schemas/FhirResource"},
                  {"properties": {"resourceType": {"const": resource_type}}}]}}}}
SIGNED_IN: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]


def openapi_document() -> dict:
    paths = {
        "/consultation-types": {"get": {
            "summary": "Consultation types open for booking",
            "responses": {"200": {"description": "The active types", "content": {"application/json": {"schema": {
                "type": "object", "required": ["consultation_types", "timezone"],
                "properties": {"consultation_types": {"type": "array", "items": {"$ref": "#/components/schemas/ConsultationType"}},
                               "timezone": {"type": ["string", "null"]}}}}}}}}},
        "/slots": {"get": {
            "summary": "Open start times for a consultation type, in a viewer's time zone",
            "parameters": [
                _query("type", "Consultation type slug", {"type": "string"}),
                _query("start", "First local date (YYYY-MM-DD) in `tz`", {"type": "string", "format": "date"}),
                _query("end", "Last local date, inclusive; at most 62 days after start", {"type": "string", "format": "date"}),
                _query("tz", "IANA time zone for the window and the answer (default: the practice's)", {"type": "string"}, False),
            ],
            "responses": {"200": {"description": "Open slots", "content": {"application/json": {"schema": {
                "type": "object", "required": ["slots", "timezone", "type"],
                "properties": {"slots": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}},
                               "timezone": {"type": "string"}, "type": {"type": "string"}}}}}},
                          "422": _error("A parameter is missing or invalid; `param` names it")}}},
        "/bookings": {"post": {
            "summary": "Book an open time for the signed-in patient",
            "security": SIGNED_IN,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["type", "start"],
                "properties": {"type": {"type": "string"}, "start": {"type": "string", "format": "date-time"},
                               "note": {"type": "string", "maxLength": 2000},
                               "safety_screen": {"allOf": [{"$ref": "#/components/schemas/SafetyScreen"}],
                                                 "description": "Required unless this session passed the "
                                                                "screen at /book/safety in the last 2 hours"}}}}}},
            "responses": {"201": _json("Booked (confirmed, or pending payment with a checkout URL)", "Booking"),
                          "400": _error("Missing or invalid CSRF token"),
                          "401": _error("Not signed in"),
                          "403": _error("Not a patient, or her email address not confirmed yet (`email_unverified`)"),
                          "409": _error("That time was just taken (`slot_taken`; `nearest` lists open times), "
                                        "or she already holds as many unpaid times as allowed (`hold_limit`)"),
                          "429": _error("Too many booking requests from this account or address (`rate_limited`)"),
                          "422": _error("Invalid request, a time that is not offered, the safety screen missing "
                                        "(`safety_screen_required`), a warning sign reported (`emergency`, "
                                        "with `advice`) or advice not yet acknowledged (`watch`, "
                                        "`recent_reaction`)")}}},
        "/bookings/{id}": {"get": {
            "summary": "One booking (its patient or the practitioner)", "parameters": [BOOKING_ID],
            "responses": {"200": _json("The booking", "Booking"), "404": _error("No such booking, or not yours")}}},
        "/bookings/{id}/cancel": {"post": {
            "summary": "Cancel a booking, applying the refund policy", "parameters": [BOOKING_ID], "security": SIGNED_IN,
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"reason": {"type": "string", "maxLength": 500}}}}}},
            "responses": {"200": _json("The cancelled booking", "Booking"), "400": _error("Missing or invalid CSRF token"),
                          "404": _error("No such booking, or not yours"), "409": _error("Not active"),
                          "422": _error("A reason is required (practitioner)")}}},
        "/intake/questionnaire": {"get": {
            "summary": "The current MCAS intake questionnaire as a FHIR R5 Questionnaire (public)",
            "parameters": [{"name": "version", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "An earlier version an older response names, e.g. 2026.1"}],
            "responses": {"200": _fhir("The questionnaire; severity options carry their score (itemWeight)",
                                       "Questionnaire"),
                          "404": _error("No such questionnaire version")}}},
        "/intake/responses/{id}": {"get": {
            "summary": "One version of a patient's intake as a FHIR R5 QuestionnaireResponse (the patient or the "
                       "practitioner; the practitioner's reads are audited)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": _fhir("The answers, with the questionnaire version they answer",
                                       "QuestionnaireResponse"),
                          "404": _error("No such response, or not yours")}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Homeostasis API", "version": "1.0.0",
                 "description": "Consultation types, open slots, bookings and the MCAS intake. State-changing "
                                "requests need the signed-in session cookie and the CSRF token from "
                                "`<meta name=\"csrf-token\">` in the `X-CSRFToken` header."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR, "ConsultationType": CONSULTATION_TYPE, "Slot": SLOT, "Booking": BOOKING,
                        "SafetyScreen": SAFETY_SCREEN, "FhirResource": FHIR_RESOURCE},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "homeostasis_session"},
                                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}},
        },
    }
