"""Random data POSTed to every form: every POST route of the URL map except the JSON API (covered by
test_api_schema.py), each sent by someone allowed to use it, with a valid CSRF token and fields drawn by
Hypothesis — the form's own field names and random ones, missing fields, empty, huge, numeric, unicode and
NUL-byte values, dates at the edges of the calendar, real ids, a file for the upload form.

Two properties: no answer is a 5xx, and a refusal (any 4xx) writes nothing: a dump of every row of every
table is the same before and after (but a session's last-seen time). Rate limits are off here, so the forms
themselves answer.
"""
from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts.service import reset_token
from app.extensions import db
from tests.support.fakestripe import FakeStripe
from tests.support.seeded import PDF, next_open_start, seed_two_patients, url_values
from tests.support.visitors import Visitor

EXAMPLES = int(__import__("os").environ.get("FUZZ_EXAMPLES", 15))  # per route
FIELD_NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"')
# Fields read straight from request.form by views without a form class.
VIEW_FIELDS = ("action", "daily_agenda_email", "direction", "email", "method", "next", "note", "outcome",
               "patient_id", "practitioner_notes", "published", "reason", "start", "type", "tz", "amount",
               "password", "current_password", "full_name", "timezone")
EDGE_VALUES = ("", " ", "0", "-1", "1", "2147483648", "99999999999999999999999", "1e309", "NaN", "-0.001",
               "150.005", "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
               "2026-02-30", "25:61", "00:00", "23:59", "up", "down", "yes", "no", "y", "on", "cash", "card",
               "rotate", "revoke", "agenda", "no_show", "completed", "Europe/London", "Not/AZone",
               "ada@example.com", "<script>alert(1)</script>", "'; DROP TABLE users; --", "\x00", "\u202e\u0000x",
               "😀" * 50, "x" * 70_000)

# Tried on every route each run, in every field at once, besides the random draws.
SWEEP = ("", "-1", "2147483648", "99999999999999999999999", "1e309", "NaN", "0001-01-01T00:00:00+14:00",
         "9999-12-31T23:59:59-12:00", "9999-12", "\x00", "x" * 70_000)


@pytest.fixture(scope="module")
def fake_stripe():
    with FakeStripe(webhook_secret="whsec_test_fuzzing") as fake:
        yield fake


pytestmark = pytest.mark.payments  # payments on, against this module's own fake Stripe server


@pytest.fixture
def app_config(app_config):
    """No rate limits: hypothesis posts far more forms than one visitor may."""
    return {**app_config, "RATELIMIT_ENABLED": False}


# Columns a refused request may still touch, by design: the session's last-seen time (sliding expiry).
VOLATILE = {("user_sessions", "last_seen_at")}


def dump() -> dict[str, list[str]]:
    """Every row of every table (all columns but VOLATILE), in a stable order."""
    tables = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
        rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [repr(tuple(row)) for row in rows]  # JSON columns hold lists: compare text
    db.session.commit()  # end the read, so the request's writes are seen next time
    return tables


def differences(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict]:
    changed = {}
    for name, rows in before.items():
        gone, new = set(rows) - set(after[name]), set(after[name]) - set(rows)
        if gone or new:
            changed[name] = {"removed or changed": sorted(gone)[:3], "added or changed": sorted(new)[:3]}
    return changed


def sender(rule) -> str:
    """Who posts to this route: the practitioner in her area, anyone to the sign-in pages and Stripe's
    webhook, patient A everywhere else."""
    if rule.rule.startswith("/practice"):
        return "p"
    if rule.rule.startswith(("/auth", "/stripe")):
        return "anon"
    return "a"


def form_data(names: list[str], real: list[str]) -> st.SearchStrategy[dict]:
    value = st.one_of(st.text(max_size=60), st.sampled_from(EDGE_VALUES), st.sampled_from(real),
                      st.integers().map(str), st.floats(allow_nan=True).map(str),
                      st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000))
    key = st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=20))
    return st.dictionaries(key, st.one_of(value, st.lists(value, min_size=2, max_size=3)), max_size=12)


def upload() -> st.SearchStrategy:
    content = st.one_of(st.binary(max_size=2000), st.binary(max_size=200).map(lambda b: PDF + b),
                        st.just(b""), st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))
    return st.one_of(st.none(), st.tuples(content, st.text(max_size=300)))


def _post_routes(url_map) -> list:
    """Every POST route but the JSON API's, in a stable order."""
    return sorted((rule for rule in url_map.iter_rules()
                   if "POST" in rule.methods and not rule.rule.startswith("/api/")), key=lambda r: r.endpoint)


def _collected_routes() -> list[str]:
    """The routes' endpoints, read from an app built once when pytest collects this module (no database is
    opened: building the app only registers its views), so each route is a test of its own and xdist
    spreads them. test_every_post_route_is_fuzzed checks the list against the app the tests run."""
    from app import create_app
    from config import TestingConfig

    return [rule.endpoint for rule in _post_routes(create_app(TestingConfig).url_map)]


ROUTES = _collected_routes()


def test_every_post_route_is_fuzzed(app):
    assert [rule.endpoint for rule in _post_routes(app.url_map)] == ROUTES
    assert len(ROUTES) > 50


@pytest.mark.parametrize("endpoint", ROUTES)
def test_random_form_posts_never_fail_and_a_refusal_writes_nothing(app, fake_stripe, make_user, endpoint):
    s = seed_two_patients(fake_stripe)
    # A random password good enough for the reset form signs out everyone the token belongs to: let that
    # be someone else than A, who keeps posting.
    s.reset_token = reset_token(make_user("reset.me@example.com"))
    (rule,) = [rule for rule in _post_routes(app.url_map) if rule.endpoint == endpoint]
    role = sender(rule)
    # A and the practitioner keep one signed-in browser; anonymous posts come from a new browser each time.
    signed_in = None if role == "anon" else Visitor(app, (s.a if role == "a" else s.practitioner).email)
    real = [str(v) for v in (s.appointment.id, s.a.id, s.b.id, s.initial_type.slug, s.course.id, s.lesson.id,
                             s.lesson.module_id, s.intake.id, s.upload.id, next_open_start(s.initial_type).isoformat(),
                             s.appointment.starts_at.isoformat(), s.appointment.starts_at.date().isoformat())]
    adapter = app.url_map.bind("localhost")
    names = sorted(set(VIEW_FIELDS) | set(_fields_on_page(signed_in or Visitor(app, None), adapter, rule, s)))
    statuses: Counter[int] = Counter()

    def post_random(data, file):
        visitor = signed_in or Visitor(app, None)
        path = adapter.build(rule.endpoint, url_values(s, rule), method="POST")
        if file is not None:
            data = {**data, "file": (io.BytesIO(file[0]), file[1])}
        before = dump()
        with visitor.post(path, data) as response:
            status = response.status_code
        statuses[status] += 1
        assert status < 500, f"POST {path} answered {status}"
        if 400 <= status < 500:
            changed = differences(before, dump())
            assert not changed, f"POST {path} was refused ({status}) but wrote rows: {changed}"
        if signed_in and response.headers.get("Location", "").startswith("/auth/login"):
            visitor.start()  # a change of password signed her out elsewhere: sign in again

    test = given(data=form_data(names, real),
                 file=upload() if rule.endpoint == "intake.upload_lab_result" else st.none())(post_random)
    for value in SWEEP:  # every field at once at one edge, on every route, on every run
        test = example(data={name: value for name in names}, file=None)(test)
    test = example(data={names[0]: "x" * 600_000}, file=None)(test)  # one field of 600 KB
    settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))(test)()
    print(f"form fuzzing {rule.rule}: {sum(statuses.values())} posts, statuses {dict(sorted(statuses.items()))}")


def _fields_on_page(visitor: Visitor, adapter, rule, s) -> set[str]:
    """The field names of the page that holds this route's form: the GET of the same address if there is
    one, else the page of the record it acts on."""
    values = {name: value for name, value in url_values(s, rule).items()}
    try:
        path = adapter.build(rule.endpoint, values, method="GET")
    except Exception:  # a POST-only route: its form is on the record's page
        path = adapter.build(rule.endpoint, values, method="POST").rsplit("/", 1)[0]
    with visitor.client.get(path) as page:
        html = page.get_data(as_text=True) if page.mimetype == "text/html" else ""
    return set(FIELD_NAME.findall(html)) - {"csrf_token"}
