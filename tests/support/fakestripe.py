"""In-process fake Stripe API server for tests (standard library only).

The real ``stripe`` SDK talks to it over HTTP::

    fake = FakeStripe().start()
    client = stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url})

It implements the slice of the v1 API the app uses (Checkout Sessions,
PaymentIntents, Refunds, Events) with Stripe's wire format: form-encoded
requests with ``a[b][0][c]`` keys, JSON responses, Stripe's error shape,
Bearer auth and Idempotency-Key replay.  ``/pay/{id}`` stands in for the
hosted Checkout page.  State lives in plain dicts that tests may inspect.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "2026-10-28.endive"  # what stripe 16.1.0 sends as Stripe-Version
MIN_EXPIRY, MAX_EXPIRY = 30 * 60, 24 * 60 * 60
SESSION_PARAMS = {
    "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "metadata",
    "payment_intent_data", "customer_email", "customer", "customer_creation", "expires_at",
    "expand", "locale", "payment_method_types", "submit_type", "billing_address_collection",
    "phone_number_collection", "allow_promotion_codes", "custom_text", "consent_collection",
    "invoice_creation", "ui_mode", "automatic_tax", "tax_id_collection", "custom_fields",
    "payment_method_options", "discounts", "after_expiration", "currency",
}
REFUND_PARAMS = {"payment_intent", "charge", "amount", "metadata", "reason", "expand"}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
CURRENCY_SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£", "chf": "CHF "}


class FakeStripeError(Exception):
    """A Stripe API error; ``body()`` is the JSON Stripe would send."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param

    def body(self) -> dict:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def _invalid(message: str, param: str | None = None, code: str | None = None) -> FakeStripeError:
    return FakeStripeError(400, message, param=param, code=code)


def _missing(param: str) -> FakeStripeError:
    return _invalid(f"Missing required param: {param}.", param, "parameter_missing")


def parse_form(encoded: str) -> dict:
    """Decode Stripe's form encoding: ``a[b]=1&l[0]=x&l[]=y`` -> ``{"a": {"b": "1"}, "l": ["x", "y"]}``."""
    root: dict = {}
    for raw_key, value in urllib.parse.parse_qsl(encoded, keep_blank_values=True):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", raw_key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))] if match else [raw_key]
        node = root
        for i, part in enumerate(parts):
            part = part or str(len(node))  # "[]" appends
            if i == len(parts) - 1:
                node[part] = value
            else:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
    return _listify(root)


def _listify(node: Any, key: str = "") -> Any:
    """Turn ``{"0": a, "1": b}`` into ``[a, b]`` (metadata keys stay a dict)."""
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v, k) for k, v in node.items()}
    if items and key != "metadata" and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _int(container: dict, key: str, param: str, *, required: bool = True, minimum: int = 0) -> int | None:
    raw = container.get(key)
    if raw is None or raw == "":
        if required:
            raise _missing(param)
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid integer: {raw}", param, "parameter_invalid_integer") from None
    if value < minimum:
        raise _invalid(f"This value must be greater than or equal to {minimum}.", param,
                       "parameter_invalid_integer")
    return value


def _str(container: dict, key: str, param: str) -> str:
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, str) or not value:
        raise _missing(param)
    return value


def _money(amount: int, currency: str) -> str:
    return f"{CURRENCY_SYMBOLS.get(currency, currency.upper() + ' ')}{amount / 100:.2f}"


class FakeStripe:
    api_version = API_VERSION   # stamped on events
    webhook_url: str | None = None  # POST /pay/{id} delivers checkout.session.completed here

    def __init__(self, webhook_secret: str = "whsec_test", api_key: str = "sk_test_fake"):
        self.webhook_secret, self.api_key = webhook_secret, api_key
        self.url = ""
        self.sessions: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.line_items: dict[str, list[dict]] = {}    # session id -> Stripe "item" objects
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, params) of API calls
        self.request_headers: list[dict[str, str]] = []  # headers, same index as requests
        self.deliveries: list[tuple[str, str, int]] = []  # (event id, url, HTTP status)
        self._pi_data: dict[str, dict] = {}
        self._idempotent: dict[tuple[str, str, str], tuple[dict, bytes]] = {}
        self._failures: list[int] = []
        self._refund_faults: dict[str, list[tuple[int, bool]]] = {}  # payment intent -> (status, after_creating)
        self._refund_refusals: dict[str, dict] = {}  # payment intent -> FakeStripeError's arguments, every time
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> FakeStripe:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server, self.url = server, f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,),  # fast stop()
                                        name="fakestripe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)  # type: ignore[union-attr]
            self._server = self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * n)

    def fail_refunds(self, payment_intent: str, n: int = 1, status: int = 500, *,
                     after_creating: bool = False) -> None:
        """The next `n` refund requests for this PaymentIntent fail with `status` (a 5xx: Stripe in trouble).
        `after_creating`: the refund is made (or replayed for its idempotency key) but the answer is lost."""
        with self._lock:
            self._refund_faults.setdefault(payment_intent, []).extend([(status, after_creating)] * n)

    def refuse_refunds(self, payment_intent: str, message: str, *, status: int = 400,
                       type: str = "invalid_request_error", code: str | None = None) -> None:
        """Every refund request for this PaymentIntent is refused with Stripe's error (a 4xx), until told
        otherwise (`allow_refunds`)."""
        with self._lock:
            self._refund_refusals[payment_intent] = {"status": status, "message": message, "type": type,
                                                     "code": code}

    def allow_refunds(self, payment_intent: str) -> None:
        with self._lock:
            self._refund_refusals.pop(payment_intent, None)

    def refund_requests(self, payment_intent: str) -> int:
        """How many refund requests (answered or not) were made for this PaymentIntent."""
        with self._lock:
            return sum(1 for method, path, params in self.requests
                       if method == "POST" and path == "/v1/refunds" and params.get("payment_intent") == payment_intent)

    def pay(self, session_id: str) -> dict:
        """Complete the session as the hosted page would; returns checkout.session.completed."""
        with self._lock:
            session = self._get(self.sessions, session_id, "checkout.session")
            if session["status"] != "open":
                raise _invalid(f"Checkout Session {session_id} is {session['status']}; it cannot be paid.")
            now, amount, currency = int(time.time()), session["amount_total"], session["currency"]
            pi_id, charge_id = _new_id("pi_"), _new_id("ch_")
            pi_data = self._pi_data.get(session_id, {})
            self.charges[charge_id] = {
                "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
                "amount_refunded": 0, "captured": True, "created": now, "currency": currency,
                "livemode": False, "metadata": {}, "paid": True, "payment_intent": pi_id,
                "refunded": False, "status": "succeeded",
            }
            self.payment_intents[pi_id] = {
                "id": pi_id, "object": "payment_intent", "amount": amount, "amount_received": amount,
                "created": now, "currency": currency, "description": pi_data.get("description"),
                "latest_charge": charge_id, "livemode": False, "metadata": pi_data.get("metadata") or {},
                "receipt_email": pi_data.get("receipt_email"), "status": "succeeded",
            }
            session.update(status="complete", payment_status="paid", payment_intent=pi_id, url=None,
                           customer_details={"email": session["customer_email"]})
            return self._emit("checkout.session.completed", session)

    def expire_session(self, session_id: str) -> dict:
        """Expire an open session (as Stripe does at expires_at); returns checkout.session.expired."""
        with self._lock:
            session = self._get(self.sessions, session_id, "checkout.session")
            if session["status"] != "open":
                raise _invalid('Only Checkout Sessions with a status in ["open"] can be expired. '
                               f'This Checkout Session has a status of "{session["status"]}".')
            session.update(status="expired", url=None)
            return self._emit("checkout.session.expired", session)

    def events_of_type(self, event_type: str) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(e) for e in self.events.values() if e["type"] == event_type]

    def signed(self, event: dict, *, timestamp: int | None = None,
               secret: str | None = None) -> tuple[bytes, dict]:
        """Serialise and sign an event exactly like Stripe's webhook sender."""
        body = json.dumps(event, indent=2).encode()
        t = int(time.time()) if timestamp is None else timestamp
        key = (self.webhook_secret if secret is None else secret).encode()
        signature = hmac.new(key, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json; charset=utf-8",
                      "Stripe-Signature": f"t={t},v1={signature}",
                      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}

    def deliver(self, event: dict, url: str) -> int:
        """POST the signed event to a live webhook endpoint; returns the HTTP status."""
        body, headers = self.signed(event)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        with self._lock:
            self.deliveries.append((event["id"], url, status))
        return status

    def forget_idempotency_keys(self) -> None:
        """Stripe keeps idempotency keys per account for 24 hours. Tests share one server but each is its
        own account: frozen clocks and ids that restart at 1 would otherwise collide across tests."""
        with self._lock:
            self._idempotent.clear()

    # -- API dispatch --------------------------------------------------------
    def _handle_api(self, method: str, path: str, params: dict, headers: Any) -> tuple[int, bytes, dict]:
        """Process one /v1 request; returns (status, JSON body, extra headers)."""
        with self._lock:
            self.requests.append((method, path, params))
            self.request_headers.append(dict(headers.items()))
            try:
                if self._failures:
                    raise FakeStripeError(self._failures.pop(0), "An unknown error occurred "
                                          "(injected by FakeStripe.fail_next).", type="api_error")
                self._authenticate(headers.get("Authorization"))
                handler, args = self._route(method, path)
                fault = self._refund_fault(method, path, params)
                if fault is not None and not fault[1]:
                    raise self._server_error(fault[0])
                key = headers.get("Idempotency-Key") if method == "POST" else None
                scope = (method, path, key or "")
                if fault is not None:  # made (or replayed) below, then the answer is lost
                    if not (key and scope in self._idempotent):
                        obj = handler(params, *args)
                        if key:
                            self._idempotent[scope] = (copy.deepcopy(params), json.dumps(obj).encode())
                    raise self._server_error(fault[0])
                if key and scope in self._idempotent:
                    first_params, stored = self._idempotent[scope]
                    if first_params != params:
                        raise FakeStripeError(400, "Keys for idempotent requests can only be used with "
                                              "the same parameters they were first used with. Try using "
                                              f"a key other than '{key}' if you meant to execute a "
                                              "different request.", type="idempotency_error")
                    return 200, stored, {"Idempotent-Replayed": "true"}
                obj = handler(params, *args)
                body = json.dumps(self._expand(obj, params.get("expand"))).encode()
                if key:
                    self._idempotent[scope] = (copy.deepcopy(params), body)
                return 200, body, {}
            except FakeStripeError as error:
                return error.status, json.dumps(error.body()).encode(), {}

    def _refund_fault(self, method: str, path: str, params: dict) -> tuple[int, bool] | None:
        if method != "POST" or path != "/v1/refunds":
            return None
        intent = params.get("payment_intent")
        if intent in self._refund_refusals:
            raise FakeStripeError(**self._refund_refusals[intent])
        queued = self._refund_faults.get(intent)
        return queued.pop(0) if queued else None

    @staticmethod
    def _server_error(status: int) -> FakeStripeError:
        return FakeStripeError(status, "An unknown error occurred (injected by FakeStripe.fail_refunds).",
                               type="api_error")

    def _authenticate(self, authorization: str | None) -> None:
        key = authorization[7:].strip() if authorization and authorization.startswith("Bearer ") else ""
        if not key:
            raise FakeStripeError(401, "You did not provide an API key. You need to provide your API key "
                                  "in the Authorization header, using Bearer auth (e.g. 'Authorization: "
                                  "Bearer YOUR_SECRET_KEY').")
        if not hmac.compare_digest(key, self.api_key):
            masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
            raise FakeStripeError(401, f"Invalid API Key provided: {masked}")

    def _route(self, method: str, path: str) -> tuple[Any, tuple[str, ...]]:
        routes = [
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions/([^/]+)",
             lambda params, id: self._get(self.sessions, id, "checkout.session")),
            ("POST", r"/v1/checkout/sessions/([^/]+)/expire", self._expire_session),
            ("GET", r"/v1/payment_intents/([^/]+)",
             lambda params, id: self._get(self.payment_intents, id, "payment_intent")),
            ("POST", r"/v1/refunds", self._create_refund),
            ("GET", r"/v1/refunds/([^/]+)", lambda params, id: self._get(self.refunds, id, "refund")),
            ("GET", r"/v1/events/([^/]+)", lambda params, id: self._get(self.events, id, "event")),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                return handler, tuple(urllib.parse.unquote(g) for g in match.groups())
        raise FakeStripeError(404, f"Unrecognized request URL ({method}: {path}). Please see "
                              "https://stripe.com/docs or we can help at https://support.stripe.com/.")

    # -- endpoints -----------------------------------------------------------
    def _create_session(self, params: dict) -> dict:
        _reject_unknown(params, SESSION_PARAMS)
        mode = _str(params, "mode", "mode")
        if mode != "payment":
            raise _invalid(f"FakeStripe only supports mode=payment, not {mode!r}.", "mode")
        raw_items = params.get("line_items")
        if not isinstance(raw_items, list) or not raw_items:
            raise _missing("line_items")
        items, currencies = [], set()
        for i, item in enumerate(raw_items):
            p = f"line_items[{i}]"
            if not isinstance(item, dict) or "price_data" not in item:
                raise _invalid("FakeStripe only supports line_items with price_data.", f"{p}[price_data]")
            price = item["price_data"] if isinstance(item["price_data"], dict) else {}
            currency = _str(price, "currency", f"{p}[price_data][currency]").lower()
            unit_amount = _int(price, "unit_amount", f"{p}[price_data][unit_amount]")
            name = _str(price.get("product_data") or {}, "name", f"{p}[price_data][product_data][name]")
            quantity = _int(item, "quantity", f"{p}[quantity]", minimum=1)
            currencies.add(currency)
            total = unit_amount * quantity
            items.append({"id": _new_id("li_"), "object": "item", "amount_subtotal": total,
                          "amount_total": total, "currency": currency, "description": name,
                          "quantity": quantity, "price": {"object": "price", "currency": currency,
                                                          "unit_amount": unit_amount}})
        if len(currencies) > 1:
            raise _invalid("All line_items must use the same currency.", "line_items")
        success_url = _str(params, "success_url", "success_url")
        cancel_url = _str(params, "cancel_url", "cancel_url")
        now = int(time.time())
        expires_at = _int(params, "expires_at", "expires_at", required=False)
        if expires_at is None:
            expires_at = now + MAX_EXPIRY
        elif expires_at < now + MIN_EXPIRY:
            raise _invalid("The `expires_at` timestamp must be at least 30 minutes from Checkout "
                           "Session creation.", "expires_at")
        elif expires_at > now + MAX_EXPIRY:
            raise _invalid("The `expires_at` timestamp must be less than 24 hours from Checkout "
                           "Session creation.", "expires_at")
        session_id = _new_id("cs_test_")
        amount = sum(item["amount_total"] for item in items)
        self.line_items[session_id] = items
        self._pi_data[session_id] = params.get("payment_intent_data") or {}
        self.sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "amount_subtotal": amount,
            "amount_total": amount, "cancel_url": cancel_url,
            "client_reference_id": params.get("client_reference_id"), "created": now,
            "currency": currencies.pop(), "customer": None, "customer_details": None,
            "customer_email": params.get("customer_email"), "expires_at": expires_at,
            "livemode": False, "locale": params.get("locale"), "metadata": _metadata(params),
            "mode": "payment", "payment_intent": None, "payment_status": "unpaid",
            "status": "open", "success_url": success_url, "url": f"{self.url}/pay/{session_id}",
        }
        return self.sessions[session_id]

    def _expire_session(self, params: dict, session_id: str) -> dict:
        self.expire_session(session_id)
        return self.sessions[session_id]

    def _create_refund(self, params: dict) -> dict:
        _reject_unknown(params, REFUND_PARAMS)
        if params.get("payment_intent"):
            pi = self._get(self.payment_intents, params["payment_intent"], "payment_intent", "payment_intent")
            if not pi.get("latest_charge"):
                raise _invalid(f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                               "payment_intent")
            charge = self.charges[pi["latest_charge"]]
        elif params.get("charge"):
            charge = self._get(self.charges, params["charge"], "charge", "charge")
        else:
            raise _invalid("One of the following params should be provided for this request: "
                           "payment_intent or charge.", code="parameter_missing")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise _invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        amount = _int(params, "amount", "amount", required=False, minimum=1) or remaining
        if amount > remaining:
            raise _invalid(f"Refund amount ({_money(amount, charge['currency'])}) is greater than unrefunded "
                           f"amount on charge ({_money(remaining, charge['currency'])})", "amount",
                           "amount_too_large")
        reason = params.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            raise _invalid(f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}", "reason")
        refund_id = _new_id("re_")
        refund = self.refunds[refund_id] = {
            "id": refund_id, "object": "refund", "amount": amount, "charge": charge["id"],
            "created": int(time.time()), "currency": charge["currency"], "metadata": _metadata(params),
            "payment_intent": charge["payment_intent"], "reason": reason, "status": "succeeded",
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("charge.refunded", charge)
        self._emit("refund.created", refund)
        return refund

    # -- helpers -------------------------------------------------------------
    def _get(self, store: dict, object_id: str, name: str, param: str = "id") -> dict:
        if object_id not in store:
            raise FakeStripeError(404, f"No such {name}: '{object_id}'", code="resource_missing", param=param)
        return store[object_id]

    def _lookup(self, object_id: str) -> dict | None:
        stores = {"cs_": self.sessions, "pi_": self.payment_intents, "ch_": self.charges,
                  "re_": self.refunds, "evt_": self.events}
        for prefix, store in stores.items():
            if object_id.startswith(prefix):
                return store.get(object_id)
        return None

    def _expand(self, obj: dict, paths: Any) -> dict:
        """Copy ``obj`` replacing the ids named by ``expand`` (dotted paths) with objects."""
        out = copy.deepcopy(obj)
        for path in paths if isinstance(paths, list) else []:
            if path == "line_items" and out.get("object") == "checkout.session":
                data = self.line_items.get(out["id"], [])
                out["line_items"] = {"object": "list", "data": copy.deepcopy(data), "has_more": False,
                                     "url": f"/v1/checkout/sessions/{out['id']}/line_items"}
                continue
            node = out
            for part in path.split("."):
                value = node.get(part, ...) if isinstance(node, dict) else None
                if isinstance(value, str) and self._lookup(value) is not None:
                    value = node[part] = copy.deepcopy(self._lookup(value))
                elif value is ... or (value is not None and not isinstance(value, dict)):
                    raise _invalid(f"This property cannot be expanded ({part}).", "expand")
                node = value
        return out

    def _emit(self, event_type: str, obj: dict) -> dict:
        event_id = _new_id("evt_")
        self.events[event_id] = {
            "id": event_id, "object": "event", "api_version": self.api_version,
            "created": int(time.time()), "data": {"object": copy.deepcopy(obj)}, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": event_type,
        }
        return copy.deepcopy(self.events[event_id])


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _metadata(params: dict) -> dict:
    metadata = params.get("metadata")
    return dict(metadata) if isinstance(metadata, dict) else {}


def _reject_unknown(params: dict, known: set[str]) -> None:
    for name in params:
        if name not in known:
            raise _invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _dispatch(self) -> None:
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if url.path.startswith("/v1/"):
            params = parse_form(body if self.command == "POST" else url.query)
            status, payload, headers = fake._handle_api(self.command, url.path, params, self.headers)
            headers = {"Content-Type": "application/json", "Request-Id": _new_id("req_"), **headers}
            return self._send(status, payload, headers)
        match = re.fullmatch(r"/pay/([^/]+)", url.path)
        if not match or self.command not in ("GET", "POST"):
            return self._send(404, b"Not found", {"Content-Type": "text/plain"})
        session_id = urllib.parse.unquote(match.group(1))
        if self.command == "POST":
            try:
                event = fake.pay(session_id)
            except FakeStripeError as error:
                return self._page(error.status, f"<p id='error'>{html.escape(error.message)}</p>")
            if fake.webhook_url:
                fake.deliver(event, fake.webhook_url)
            target = fake.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            return self._send(303, b"", {"Location": target})
        with fake._lock:
            session = copy.deepcopy(fake.sessions.get(session_id))
            items = copy.deepcopy(fake.line_items.get(session_id, []))
        if session is None:
            return self._page(404, "<p id='error'>No such Checkout Session.</p>")
        rows = "".join(f"<li>{item['quantity']} × {html.escape(item['description'])}</li>" for item in items)
        content = (f"<ul>{rows}</ul><p id='total'>{_money(session['amount_total'], session['currency'])}</p>"
                   f"<p id='status'>{session['status']}</p>")
        if session["status"] == "open":
            content += (f"<form method='post' action='/pay/{html.escape(session_id)}'>"
                        "<button type='submit' id='pay'>Pay</button></form>"
                        f"<a id='cancel' href='{html.escape(session['cancel_url'])}'>Cancel</a>")
        return self._page(200, content)

    def _page(self, status: int, content: str) -> None:
        page = ("<!doctype html><html><head><meta charset='utf-8'><title>Fake Stripe Checkout</title>"
                f"</head><body><h1>Fake Stripe Checkout</h1>{content}</body></html>")
        self._send(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status: int, payload: bytes, headers: dict) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _dispatch
