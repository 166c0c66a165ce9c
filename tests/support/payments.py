"""Helpers for payment tests that drive the app and the fake Stripe server together."""
from __future__ import annotations

import threading


def webhook_and_return_at_once(app, client, fake_stripe, session_id: str) -> dict[str, int]:
    """Pay `session_id` in the fake Stripe, then deliver its webhook and open the success page at the
    same moment (two threads behind a barrier); the status codes of both, by "webhook" and "page"."""
    body, headers = fake_stripe.signed(fake_stripe.pay(session_id))
    stripe_side = app.test_client()
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def webhook():
        barrier.wait()
        results["webhook"] = stripe_side.post("/stripe/webhook", data=body, headers=headers).status_code

    def success_page():
        barrier.wait()
        results["page"] = client.get(f"/billing/return?session_id={session_id}").status_code

    threads = [threading.Thread(target=webhook), threading.Thread(target=success_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results
