"""Fixtures the integration test modules share (tests/conftest.py has the app, the client and the factories).

Frozen time: a module (or one test) says when its "now" is with a marker, and asks for `frozen`:

    pytestmark = pytest.mark.frozen_at(NOW)              # stands still
    pytestmark = pytest.mark.frozen_at(NOW, tick=True)   # starts at NOW and ticks (Stripe's fake keeps real time)

`frozen` is the time_machine traveller (`frozen.shift(...)`, `frozen.move_to(...)`). A test's own marker wins
over its module's. In a test marked so, the shared `practice`, `ada`, `patient` and `dr` are made in that
frozen time too, as the pages would make them then."""
from __future__ import annotations

import pytest
import time_machine

from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import post_form


def pytest_configure(config):
    config.addinivalue_line("markers", "frozen_at(when, tick=False): the time the `frozen` fixture travels to")


@pytest.fixture
def frozen(request):
    marker = request.node.get_closest_marker("frozen_at")
    if marker is None:
        pytest.fail("`frozen` needs a time: mark the test or its module with @pytest.mark.frozen_at(when)")
    (when,) = marker.args
    with time_machine.travel(when, tick=marker.kwargs.get("tick", False)) as traveller:
        yield traveller


def in_frozen_time_if_marked(request) -> None:
    if request.node.get_closest_marker("frozen_at") is not None:
        request.getfixturevalue("frozen")


@pytest.fixture
def practice(make_practice, request):
    """(user, profile, type) of `make_practice()`'s defaults: dr@example.com in New York, Monday to Friday
    09:00-17:00, the 60-minute type `initial`."""
    in_frozen_time_if_marked(request)
    return make_practice()


@pytest.fixture
def ada(make_user, request):
    """Ada Lovelace (ada@example.com, Europe/London), a patient, not signed in."""
    in_frozen_time_if_marked(request)
    return make_user("ada@example.com", full_name="Ada Lovelace", timezone="Europe/London")


@pytest.fixture
def patient(ada, auth):
    """`ada`, signed in on `client`."""
    auth.login(ada.email, DEFAULT_PASSWORD)
    return ada


@pytest.fixture
def dr(app, practice, request):
    """The `practice`'s practitioner, signed in on a test client of her own."""
    in_frozen_time_if_marked(request)
    client = app.test_client()
    post_form(client, "/auth/login", {"email": practice[0].email, "password": DEFAULT_PASSWORD})
    return client
