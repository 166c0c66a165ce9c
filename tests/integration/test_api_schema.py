"""The JSON API keeps its published contract: schemathesis reads /api/v1/openapi.json from the app itself
(in-process, through WSGI), generates requests for every operation — valid ones and invalid ones, and for
the id routes A's real ids too — and sends them as patient A, signed in, with the CSRF token in
X-CSRFToken. Every answer must be a documented status with the documented content type, headers and body
schema; none may be a 5xx; input that breaks the schema must be refused with a 4xx.

Left out of schemathesis' default checks: "valid input is accepted" (a well-formed booking for a slug that
does not exist, or a time that is not offered, is rightly a 422: the schema cannot list tomorrow's open
times) and the stateful checks, which need links the description does not declare. The answers random
data rarely reaches (201, 409, the safety-screen refusals, 401/403) are sent on purpose below and held to
the same checks.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.support.seeded import PASSWORD, fresh_appointment, next_open_start, seed_two_patients
from tests.support.web import csrf_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, missing_required_header, unsupported_method]
EXAMPLES = 50  # per operation, across valid data, invalid data and real ids
# The session cookie and the CSRF header are always sent as the signed-in patient's (below): a case made
# "invalid" only by leaving them out is sent with them, so it is valid and rightly accepted.
OURS = {ParameterLocation.HEADER, ParameterLocation.COOKIE}


def checks_for(case) -> list:
    negative = {location for location, info in case.meta.components.items() if info.mode.is_negative}
    if negative and negative <= OURS:
        return [check for check in CHECKS if check is not negative_data_rejection]
    return CHECKS


@pytest.fixture
def seeded(app):
    return seed_two_patients()


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def signed_in(app, email: str | None) -> dict:
    """What schemathesis sends with every call: the session cookie and the CSRF header. Given per call,
    because schemathesis sets and then removes the cookies its cases carry (the session's among them)."""
    client = app.test_client()
    if email:
        client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    token = csrf_token(client, "/")
    return {"session": client, "headers": {"X-CSRFToken": token},
            "cookies": {"homeostasis_session": client.get_cookie("homeostasis_session").value}}


def test_every_api_operation_answers_within_its_documented_contract(app, seeded, schema):
    patient = signed_in(app, seeded.a.email)
    real_ids = {"/bookings/{id}": seeded.appointment.id, "/bookings/{id}/cancel": seeded.follow_up.id,
                "/intake/responses/{id}": seeded.intake.id}
    examples: Counter[str] = Counter()
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
        if operation.path in real_ids:
            strategies.append(operation.as_strategy(path_parameters={"id": real_ids[operation.path]}))
        if operation.path == "/slots":
            strategies.append(operation.as_strategy(query={"type": seeded.initial_type.slug}))

        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(strategies))
        def answers_within_contract(case):
            response = case.call_and_validate(checks=checks_for(case), **patient)
            examples[operation.label] += 1  # noqa: B023  (called below, in this same iteration)
            statuses[operation.label][response.status_code] += 1  # noqa: B023

        answers_within_contract()
    print("schemathesis:", "; ".join(f"{label}: {n} ({dict(statuses[label])})" for label, n in examples.items()))
    assert len(examples) == len(operations) == 7
    assert 401 not in statuses["POST /bookings"], "the patient's session did not reach the API"


def _validated(operation, visitor: dict, **case):
    case = operation.Case(**case)
    response = case.call(**visitor)
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                             response_headers_conformance, response_schema_conformance])
    return response


def test_the_answers_random_data_rarely_reaches_conform_too(app, seeded, schema):
    b, anonymous = signed_in(app, seeded.b.email), signed_in(app, None)
    practitioner = signed_in(app, seeded.practitioner.email)
    book = schema["/bookings"]["POST"]
    start = next_open_start(seeded.initial_type).isoformat()
    wanted = {"type": seeded.initial_type.slug, "start": start}
    screened = {**wanted, "safety_screen": {"all_no": True}}

    def booking(visitor, body):
        return _validated(book, visitor, body=body, media_type="application/json")

    assert booking(b, screened).status_code == 201
    taken = booking(b, screened)
    assert taken.status_code == 409 and taken.json()["error"]["nearest"]
    assert booking(b, wanted).json()["error"]["code"] == "safety_screen_required"
    assert booking(b, {**wanted, "safety_screen": {"all_no": False, "throat": True}}).status_code == 422
    assert booking({**b, "headers": None}, screened).status_code == 400  # no CSRF token
    assert booking(anonymous, screened).status_code == 401
    assert booking(practitioner, screened).status_code == 403

    own = fresh_appointment(seeded.b, seeded.initial_type)
    assert _validated(schema["/bookings/{id}"]["GET"], b, path_parameters={"id": own.id}).status_code == 200
    cancel = schema["/bookings/{id}/cancel"]["POST"]
    assert _validated(cancel, b, path_parameters={"id": own.id}, body={"reason": "Better"},
                      media_type="application/json").status_code == 200
    assert _validated(cancel, b, path_parameters={"id": own.id}, body={},
                      media_type="application/json").status_code == 409
    assert _validated(schema["/intake/responses/{id}"]["GET"], practitioner,
                      path_parameters={"id": seeded.intake.id}).status_code == 200
    assert _validated(schema["/slots"]["GET"], anonymous,
                      query={"type": seeded.initial_type.slug, "start": start[:10], "end": start[:10]}).json()["slots"]
