"""The fake Stripe server, driven through the real ``stripe`` SDK."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.support.fakestripe import FakeStripe, FakeStripeError, parse_form


@pytest.fixture
def fake():
    with FakeStripe() as server:
        yield server


@pytest.fixture
def client(fake):
    return stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url}, max_network_retries=0)


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [{
            "price_data": {"currency": "eur", "unit_amount": 12000,
                           "product_data": {"name": "Erstgespräch"}},
            "quantity": 1,
        }],
        "success_url": "https://app.test/paid?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.test/cancelled",
        "client_reference_id": "booking-42",
        "customer_email": "patient@example.org",
        "metadata": {"booking_id": "42"},
        "payment_intent_data": {"metadata": {"booking_id": "42"}},
        "expires_at": int(time.time()) + 3600,
    }
    params.update(overrides)
    return params


def paid_session(fake, client, amount=12000):
    items = [{"price_data": {"currency": "eur", "unit_amount": amount, "product_data": {"name": "Kurs"}},
              "quantity": 1}]
    session = client.v1.checkout.sessions.create(session_params(line_items=items))
    fake.pay(session.id)
    return client.v1.checkout.sessions.retrieve(session.id)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def raw_request(url, data=None, headers=None, method=None):
    """(status, headers, body) without following redirects or raising on 4xx."""
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


@pytest.fixture
def webhook_receiver():
    """A live endpoint recording (body, headers) of each POST; answers ``status``."""
    received: list[tuple[bytes, dict]] = []

    class Receiver(BaseHTTPRequestHandler):
        status = 200

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, dict(self.headers.items())))
            self.send_response(Receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
    server.received = received
    server.handler = Receiver
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


# -- wire format -----------------------------------------------------------------

def test_parse_form_decodes_stripe_nesting():
    assert parse_form("expand%5B0%5D=payment_intent&a[b][c]=1&l[]=x&l[]=y&metadata[0]=z&e=") == {
        "expand": ["payment_intent"], "a": {"b": {"c": "1"}}, "l": ["x", "y"],
        "metadata": {"0": "z"}, "e": "",
    }


def test_sdk_request_is_recorded_as_nested_params(fake, client):
    client.v1.checkout.sessions.create(session_params(), options={"idempotency_key": "booking-42-v1"})
    method, path, params = fake.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert params["line_items"] == [{"price_data": {"currency": "eur", "unit_amount": "12000",
                                                    "product_data": {"name": "Erstgespräch"}},
                                     "quantity": "1"}]
    assert params["payment_intent_data"] == {"metadata": {"booking_id": "42"}}
    headers = fake.request_headers[-1]
    assert headers["Authorization"] == f"Bearer {fake.api_key}"
    assert headers["Idempotency-Key"] == "booking-42-v1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


# -- checkout sessions -----------------------------------------------------------

def test_create_and_retrieve_session(fake, client):
    session = client.v1.checkout.sessions.create(session_params())
    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"{fake.url}/pay/{session.id}"
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert (session.amount_total, session.currency) == (12000, "eur")
    assert session.success_url == "https://app.test/paid?session_id={CHECKOUT_SESSION_ID}"
    assert session.client_reference_id == "booking-42"
    assert session.customer_email == "patient@example.org"
    assert session.metadata.to_dict() == {"booking_id": "42"}

    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.to_dict() == session.to_dict()


def test_amount_total_sums_quantities(client):
    items = [{"price_data": {"currency": "eur", "unit_amount": 2500, "product_data": {"name": "Kurs"}},
              "quantity": 3},
             {"price_data": {"currency": "eur", "unit_amount": 1000, "product_data": {"name": "Skript"}},
              "quantity": 1}]
    session = client.v1.checkout.sessions.create(session_params(line_items=items))
    assert session.amount_total == 8500
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert [item.description for item in expanded.line_items.data] == ["Kurs", "Skript"]


@pytest.mark.parametrize(("overrides", "param", "code"), [
    ({"mode": None}, "mode", "parameter_missing"),
    ({"line_items": None}, "line_items", "parameter_missing"),
    ({"success_url": None}, "success_url", "parameter_missing"),
    ({"cancel_url": None}, "cancel_url", "parameter_missing"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": 100}, "quantity": 1}]},
     "line_items[0][price_data][product_data][name]", "parameter_missing"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": "ten",
                                     "product_data": {"name": "x"}}, "quantity": 1}]},
     "line_items[0][price_data][unit_amount]", "parameter_invalid_integer"),
    ({"expires_at": int(time.time()) + 60}, "expires_at", None),
    ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at", None),
    ({"customer_mail": "typo@example.org"}, "customer_mail", "parameter_unknown"),
])
def test_invalid_session_params_are_refused_like_stripe(fake, client, overrides, param, code):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.create(session_params(**overrides))
    assert excinfo.value.http_status == 400
    assert excinfo.value.param == param
    assert excinfo.value.code == code
    assert excinfo.value.error.type == "invalid_request_error"
    assert fake.sessions == {}


def test_expires_at_message(client):
    with pytest.raises(stripe.InvalidRequestError, match="less than 24 hours"):
        client.v1.checkout.sessions.create(session_params(expires_at=int(time.time()) + 2 * 86400))


def test_expand_payment_intent(fake, client):
    session = client.v1.checkout.sessions.create(session_params())
    unpaid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert unpaid.payment_intent is None

    fake.pay(session.id)
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    intent = paid.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 12000, 12000)
    assert intent.metadata.to_dict() == {"booking_id": "42"}
    assert fake.sessions[session.id]["payment_intent"] == intent.id  # stored unexpanded

    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["status"]})


def test_pay_completes_session_and_emits_event(fake, client):
    session = client.v1.checkout.sessions.create(session_params())
    event = fake.pay(session.id)

    assert event["type"] == "checkout.session.completed"
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["livemode"] is False and event["api_version"] == fake.api_version
    assert event["data"]["object"]["id"] == session.id
    assert event["data"]["object"]["payment_status"] == "paid"

    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    intent = client.v1.payment_intents.retrieve(paid.payment_intent)
    assert intent.status == "succeeded"
    charge = fake.charges[intent.latest_charge]
    assert charge["id"].startswith("ch_")
    assert (charge["amount"], charge["amount_refunded"], charge["payment_intent"]) == (12000, 0, intent.id)

    fetched = client.v1.events.retrieve(event["id"])
    assert isinstance(fetched, stripe.Event)
    assert fetched.type == "checkout.session.completed"
    assert fetched.data.object.id == session.id

    with pytest.raises(FakeStripeError, match="complete"):
        fake.pay(session.id)


def test_expire_session_via_api(fake, client):
    session = client.v1.checkout.sessions.create(session_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert [e["data"]["object"]["id"] for e in fake.events_of_type("checkout.session.expired")] == [session.id]

    with pytest.raises(stripe.InvalidRequestError, match=r'status of "expired"'):
        client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(FakeStripeError):
        fake.pay(session.id)


def test_expire_session_helper_and_paid_session_cannot_expire(fake, client):
    first = client.v1.checkout.sessions.create(session_params())
    assert fake.expire_session(first.id)["type"] == "checkout.session.expired"
    second = paid_session(fake, client)
    with pytest.raises(stripe.InvalidRequestError, match=r'status of "complete"'):
        client.v1.checkout.sessions.expire(second.id)


# -- refunds ----------------------------------------------------------------------

def test_full_refund(fake, client):
    session = paid_session(fake, client)
    refund = client.v1.refunds.create({"payment_intent": session.payment_intent,
                                       "metadata": {"reason": "storno"}},
                                      options={"idempotency_key": "refund-42"})
    assert isinstance(refund, stripe.Refund)
    assert refund.id.startswith("re_")
    assert (refund.amount, refund.status, refund.payment_intent) == (12000, "succeeded", session.payment_intent)
    assert refund.metadata.to_dict() == {"reason": "storno"}
    assert client.v1.refunds.retrieve(refund.id).to_dict() == refund.to_dict()

    charge = fake.charges[refund.charge]
    assert (charge["amount_refunded"], charge["refunded"]) == (12000, True)
    assert fake.events_of_type("refund.created")[0]["data"]["object"]["id"] == refund.id
    assert fake.events_of_type("charge.refunded")[0]["data"]["object"]["amount_refunded"] == 12000


def test_partial_refunds_then_over_refund_refused(fake, client):
    session = paid_session(fake, client, amount=10000)
    client.v1.refunds.create({"payment_intent": session.payment_intent, "amount": 3000})

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create({"payment_intent": session.payment_intent, "amount": 8000})
    assert (excinfo.value.code, excinfo.value.param) == ("amount_too_large", "amount")
    assert "Refund amount (€80.00) is greater than unrefunded amount on charge (€70.00)" in str(excinfo.value)

    rest = client.v1.refunds.create({"charge": fake.payment_intents[session.payment_intent]["latest_charge"]})
    assert rest.amount == 7000

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create({"payment_intent": session.payment_intent})
    assert excinfo.value.code == "charge_already_refunded"
    assert len(fake.refunds) == 2
    assert len(fake.events_of_type("charge.refunded")) == 2


def test_refund_requires_a_target(client):
    with pytest.raises(stripe.InvalidRequestError, match="payment_intent or charge"):
        client.v1.refunds.create({"amount": 100})


# -- idempotency --------------------------------------------------------------------

def test_idempotent_replay_returns_the_same_object(fake, client):
    first = client.v1.checkout.sessions.create(session_params(), options={"idempotency_key": "k-1"})
    second = client.v1.checkout.sessions.create(session_params(), options={"idempotency_key": "k-1"})
    assert second.id == first.id
    assert len(fake.sessions) == 1
    assert second.last_response.headers["Idempotent-Replayed"] == "true"

    session = paid_session(fake, client)
    refund = client.v1.refunds.create({"payment_intent": session.payment_intent, "amount": 100},
                                      options={"idempotency_key": "k-1"})  # keys are per endpoint
    replay = client.v1.refunds.create({"payment_intent": session.payment_intent, "amount": 100},
                                      options={"idempotency_key": "k-1"})
    assert replay.id == refund.id
    assert len(fake.refunds) == 1
    assert fake.charges[refund.charge]["amount_refunded"] == 100


def test_idempotency_key_reused_with_other_params_is_refused(fake, client):
    client.v1.checkout.sessions.create(session_params(), options={"idempotency_key": "k-2"})
    with pytest.raises(stripe.IdempotencyError) as excinfo:
        client.v1.checkout.sessions.create(session_params(client_reference_id="booking-43"),
                                           options={"idempotency_key": "k-2"})
    assert excinfo.value.http_status == 400
    assert excinfo.value.error.type == "idempotency_error"
    assert len(fake.sessions) == 1


# -- errors -----------------------------------------------------------------------------

def test_wrong_api_key_is_401(fake):
    bad = stripe.StripeClient("sk_test_wrong_key_123456", base_addresses={"api": fake.url},
                              max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as excinfo:
        bad.v1.checkout.sessions.create(session_params())
    assert excinfo.value.http_status == 401
    assert excinfo.value.error.type == "invalid_request_error"
    assert "Invalid API Key provided: sk_test_" in str(excinfo.value)
    assert "wrong_key" not in str(excinfo.value)  # masked
    assert fake.sessions == {}


def test_missing_api_key_is_401(fake):
    status, _, body = raw_request(f"{fake.url}/v1/checkout/sessions/cs_test_x")
    assert status == 401
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_unknown_id_is_404_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    error = excinfo.value
    assert (error.http_status, error.code, error.param) == (404, "resource_missing", "id")
    assert "No such checkout.session: 'cs_test_nope'" in str(error)
    for call in (lambda: client.v1.payment_intents.retrieve("pi_nope"),
                 lambda: client.v1.refunds.retrieve("re_nope"),
                 lambda: client.v1.events.retrieve("evt_nope")):
        with pytest.raises(stripe.InvalidRequestError, match="No such"):
            call()


def test_unknown_route_is_404(fake):
    status, _, body = raw_request(f"{fake.url}/v1/customers", headers={"Authorization": "Bearer sk_test_fake"})
    assert status == 404
    assert "Unrecognized request URL (GET: /v1/customers)" in json.loads(body)["error"]["message"]


def test_fail_next_surfaces_as_api_error(fake, client):
    fake.fail_next()
    with pytest.raises(stripe.APIError) as excinfo:
        client.v1.checkout.sessions.create(session_params())
    assert excinfo.value.http_status == 500
    assert excinfo.value.error.type == "api_error"
    assert fake.sessions == {}
    assert client.v1.checkout.sessions.create(session_params()).status == "open"  # only one failure


def test_fail_next_with_sdk_retries_reuses_the_idempotency_key(fake, monkeypatch):
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.0)  # no back-off sleeps in tests
    retrying = stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url}, max_network_retries=2)
    fake.fail_next(2, status=503)
    session = retrying.v1.checkout.sessions.create(session_params())
    assert session.status == "open"
    assert len(fake.requests) == 3
    keys = {headers["Idempotency-Key"] for headers in fake.request_headers}
    assert len(keys) == 1  # the SDK generated one key and replayed it on every retry


# -- webhooks ------------------------------------------------------------------------

def test_signed_event_verifies_with_the_sdk(fake, client):
    event = fake.pay(client.v1.checkout.sessions.create(session_params()).id)
    body, headers = fake.signed(event)
    assert headers["Content-Type"].startswith("application/json")

    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], fake.webhook_secret)
    assert isinstance(verified, stripe.Event)
    assert verified.id == event["id"] and verified.type == "checkout.session.completed"
    assert isinstance(verified.data.object, stripe.checkout.Session)
    assert verified.data.object.client_reference_id == "booking-42"

    via_client = client.construct_event(body.decode(), headers["Stripe-Signature"], fake.webhook_secret)
    assert via_client.to_dict() == verified.to_dict()


@pytest.mark.parametrize("tamper", ["body", "stale", "secret", "missing"])
def test_bad_signatures_are_rejected(fake, client, tamper):
    event = fake.pay(client.v1.checkout.sessions.create(session_params()).id)
    body, headers = fake.signed(event)
    signature = headers["Stripe-Signature"]
    if tamper == "body":
        body = body.replace(b"12000", b"1")
    elif tamper == "stale":
        _, stale_headers = fake.signed(event, timestamp=int(time.time()) - 600)
        signature = stale_headers["Stripe-Signature"]
    elif tamper == "secret":
        _, forged = fake.signed(event, secret="whsec_attacker")
        signature = forged["Stripe-Signature"]
    else:
        signature = ""
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, fake.webhook_secret)


def test_deliver_posts_signed_event(fake, client, webhook_receiver):
    event = fake.pay(client.v1.checkout.sessions.create(session_params()).id)
    assert fake.deliver(event, webhook_receiver.url) == 200
    webhook_receiver.handler.status = 400
    assert fake.deliver(event, webhook_receiver.url) == 400
    assert [status for _, _, status in fake.deliveries] == [200, 400]

    body, headers = webhook_receiver.received[0]
    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], fake.webhook_secret)
    assert verified.id == event["id"]


# -- hosted checkout page -----------------------------------------------------------

def test_hosted_page_pay_button_redirects_and_delivers(fake, client, webhook_receiver):
    session = client.v1.checkout.sessions.create(session_params())
    status, _, page = raw_request(session.url)
    assert status == 200
    assert b"id='pay'" in page and b"https://app.test/cancelled" in page and b"Erstgespr" in page

    fake.webhook_url = webhook_receiver.url
    status, headers, _ = raw_request(session.url, data=b"", method="POST")
    assert status == 303
    assert headers["Location"] == f"https://app.test/paid?session_id={session.id}"
    assert fake.sessions[session.id]["status"] == "complete"

    (body, sent_headers), = webhook_receiver.received
    verified = stripe.Webhook.construct_event(body, sent_headers["Stripe-Signature"], fake.webhook_secret)
    assert verified.type == "checkout.session.completed"
    assert verified.data.object.id == session.id

    status, _, page = raw_request(session.url)
    assert b"id='pay'" not in page and b"complete" in page
    status, _, page = raw_request(session.url, data=b"", method="POST")
    assert status == 400


def test_hosted_page_unknown_session(fake):
    assert raw_request(f"{fake.url}/pay/cs_test_nope")[0] == 404
