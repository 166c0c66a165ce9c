"""Register, log out, log in and reset a password in a real browser."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.mailbox import text_of
from tests.support.verification import emailed_code

pytestmark = pytest.mark.e2e


def test_register_logout_login_in_the_browser(page, mailbox):
    page.goto("/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Full name").fill("Rosa Patient")
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label("Password").fill("lavender tea at dawn")
    # The browser reports its zone and the page fills it in.
    expect(page.get_by_label("Your time zone")).to_have_value("Europe/London")
    page.get_by_label("I consent").check()
    page.get_by_role("button", name="Create account").click()
    # The address is confirmed with the code emailed to it before the account can book (issue 20).
    page.get_by_role("heading", name="Confirm your email address").wait_for()
    page.get_by_label("Code from the email").fill(emailed_code(mailbox, "rosa@example.com"))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Hello, Rosa Patient").wait_for()

    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You have been logged out.").wait_for()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label("Password").fill("lavender tea at dawn")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hello, Rosa Patient").wait_for()


def test_registration_errors_are_announced_and_linked(page):
    page.goto("/auth/register")
    page.get_by_label("Full name").fill("Rosa")
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    alert = page.get_by_role("alert")
    assert "Use at least 10 characters" in alert.inner_text()
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"


def test_forgot_password_end_to_end(page, make_user, mailbox):
    make_user("rosa@example.com", full_name="Rosa Patient")
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_role("button", name="Send reset link").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    messages = mailbox.wait_for("rosa@example.com")
    assert len(messages) == 1
    link = re.search(r"(http://127\.0\.0\.1:\d+/auth/reset/\S+)", text_of(messages[0])).group(1)
    page.goto(link)
    page.get_by_label("New password").fill("a new morning routine")
    page.get_by_role("button", name="Save new password").click()
    page.get_by_text("Your password has been changed").wait_for()
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label("Password").fill("a new morning routine")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hello, Rosa Patient").wait_for()
