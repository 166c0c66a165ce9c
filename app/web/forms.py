"""Forms (Flask-WTF: CSRF on every form) for accounts."""
from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app.accounts.passwords import MAX_LENGTH
from app.timezones import valid_zone_name
from app.validation import LINE_CONTROL, ONE_LINE

# The years a date given in a URL, a form or the API may name. Bookings are weeks ahead, so nothing real
# is near these edges; near date.min and date.max the arithmetic around a date (the day before, a buffer
# after, another zone's midnight) would overflow.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999


def plausible_date(value) -> bool:
    """Whether a date or datetime someone gave falls in the years a booking could."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def parse_instant(value: str | None) -> datetime | None:
    """An ISO-8601 instant with its offset ("...Z" allowed) in a plausible year, else None."""
    try:
        parsed = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo and plausible_date(parsed) else None


def valid_timezone(form, field) -> None:
    if not valid_zone_name(field.data):
        raise ValidationError("Choose a time zone from the list, for example America/New_York.")


def strip(value):
    return value.strip() if isinstance(value, str) else value


TOO_LONG = f"Use at most {MAX_LENGTH} characters."

EMAIL = [DataRequired("Enter your email address."), Length(max=254),
         Email("Enter an email address like name@example.com.", check_deliverability=False)]


def one_line(form, field) -> None:
    """A name goes into emails and calendar invites: no line breaks or control characters."""
    if field.data and LINE_CONTROL.search(field.data):
        raise ValidationError(ONE_LINE)


class RegisterForm(FlaskForm):
    full_name = StringField("Full name", filters=[strip],
                            validators=[DataRequired("Enter your name."), Length(max=120), one_line])
    email = EmailField("Email", validators=EMAIL, filters=[strip])
    password = PasswordField("Password", validators=[DataRequired("Choose a password."),
                                                     Length(max=MAX_LENGTH, message=TOO_LONG)])
    timezone = StringField("Your time zone", default="UTC",
                           validators=[DataRequired("Choose your time zone."), valid_timezone])
    consent = BooleanField("I consent to Homeostasis storing and processing my health information "
                           "to provide my care.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL, filters=[strip])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=MAX_LENGTH, message=TOO_LONG)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL, filters=[strip])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Choose a new password."),
                                                         Length(max=MAX_LENGTH, message=TOO_LONG)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    password = PasswordField("New password", validators=[DataRequired("Choose a new password."),
                                                         Length(max=MAX_LENGTH, message=TOO_LONG)])


class ProfileForm(FlaskForm):
    full_name = StringField("Full name", filters=[strip],
                            validators=[DataRequired("Enter your name."), Length(max=120), one_line])
    timezone = StringField("Your time zone", validators=[DataRequired("Choose your time zone."), valid_timezone])
    email_opt_out = BooleanField("Don't send me non-essential emails (appointment reminders still arrive)")
