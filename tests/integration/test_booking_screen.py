"""The one booking screen (/book/SLUG, issue 21 point 1): the month, the chosen day's times and the zone and
clock pickers on one page, without JavaScript; the patient's reschedule page uses the same screen."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape

import pytest
import time_machine

from tests.support.visitors import Visitor

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # Tuesday; 24 h notice: Wednesday 09:00 New York is first


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def visitor(app, make_practice, frozen):
    make_practice()
    return Visitor(app, None)


def times_shown(html: str) -> list[str]:
    """The time buttons of the day panel, in order."""
    panel = html[html.index('id="day-times"'):]
    return re.findall(r'class="button"[^>]*>([^<]+)</', panel)


def day_heading(html: str) -> str:
    return re.search(r'<h2 id="day-title"[^>]*>([^<]+)</h2>', html).group(1)


def test_the_month_and_the_first_open_days_times_are_on_one_screen(visitor):
    response = visitor.client.get("/book/initial?tz=Europe/London")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h2 id="month-title">December 2026</h2>' in html
    assert 'aria-label="Wednesday 2 December, open times available"' in html
    assert day_heading(html) == "Open times on Wednesday 2 December"
    shown = times_shown(html)  # every 15 minutes from 09:00 to 16:00 in New York
    assert (shown[:3], shown[-1], len(shown)) == (["14:00", "14:15", "14:30"], "21:00", 29)
    assert 'href="/book/initial/review?start=2026-12-02T14:00:00Z&amp;tz=Europe/London"' in html
    assert '<label for="tz">Show times in another time zone</label>' in html  # the zone picker, same page


def test_a_day_link_reloads_the_screen_with_that_days_times_in_the_same_zone(visitor):
    html = visitor.client.get("/book/initial?tz=Asia/Tokyo").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" data-day="2026-12-05"', html).group(1).replace("&amp;", "&")
    assert "tz=Asia/Tokyo" in link and "day=2026-12-05" in link
    html = visitor.client.get(link).get_data(as_text=True)
    assert day_heading(html) == "Open times on Saturday 5 December"  # Friday in New York is Saturday in Tokyo
    shown = times_shown(html)  # Friday 10:00-16:00 New York is Saturday 00:00-06:00 in Tokyo
    assert (shown[0], shown[-1]) == ("00:00", "06:00")
    assert '<td class="open chosen"><a href="' in html


def test_the_old_day_address_opens_the_one_screen_on_that_day(visitor):
    response = visitor.client.get("/book/initial/day/2026-12-04?tz=Europe/London")
    assert response.status_code == 302
    assert response.headers["Location"] == "/book/initial?day=2026-12-04&tz=Europe/London"
    html = visitor.client.get(response.headers["Location"]).get_data(as_text=True)
    assert day_heading(html) == "Open times on Friday 4 December"


@pytest.mark.parametrize("day", ["2026-11-30", "2027-06-01", "not-a-day", "9999-01-01"])
def test_a_day_that_cannot_be_booked_shows_the_first_open_day_instead(visitor, day):
    response = visitor.client.get(f"/book/initial?tz=Europe/London&day={day}")
    assert response.status_code == 200
    assert day_heading(response.get_data(as_text=True)) == "Open times on Wednesday 2 December"


def test_a_day_taken_since_says_it_has_no_times(visitor):
    html = visitor.client.get("/book/initial?tz=Europe/London&day=2026-12-05").get_data(as_text=True)  # Saturday
    assert day_heading(html) == "Open times on Saturday 5 December"
    assert "No open times on this day any more. Please choose another day." in html


def test_times_on_a_12_hour_clock_by_her_choice_remembered_while_she_books(visitor):
    html = visitor.client.get("/book/initial?tz=Europe/London&clock=12").get_data(as_text=True)
    assert times_shown(html)[:3] == ["2:00 pm", "2:15 pm", "2:30 pm"]
    assert '<strong aria-current="true">12-hour (2:00 pm)</strong>' in html
    html = visitor.client.get("/book/initial?tz=Asia/Tokyo&day=2026-12-03").get_data(as_text=True)
    assert times_shown(html)[:2] == ["12:00 am", "12:15 am"]  # Wednesday 10:00 New York, still 12-hour
    html = visitor.client.get("/book/initial?tz=Europe/London&clock=24").get_data(as_text=True)
    assert times_shown(html)[0] == "14:00"


def test_the_practice_setting_chooses_the_clock_until_she_does(app, visitor):
    app.config["PRACTICE_CLOCK"] = "12"
    html = visitor.client.get("/book/initial?tz=America/New_York").get_data(as_text=True)
    shown = times_shown(html)
    assert (shown[0], shown[12], shown[-1]) == ("9:00 am", "12:00 pm", "4:00 pm")


def test_reschedule_uses_the_same_screen_with_its_zone_picker(app, make_practice, make_user, make_appointment, frozen):
    _, _, ct = make_practice()
    ada = make_user("ada@example.com", timezone="Europe/London")
    booked = make_appointment(ct, ada, starts_at=datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc))
    visitor = Visitor(app, "ada@example.com")
    path = f"/account/appointments/{booked.id}/reschedule"
    html = visitor.client.get(path).get_data(as_text=True)
    assert '<h2 id="month-title">December 2026</h2>' in html and 'data-picker' in html
    assert day_heading(html) == "Open times on Wednesday 2 December"
    assert times_shown(html)[0] == "14:00"  # her zone, Europe/London
    html = visitor.client.get(f"{path}?tz=America/New_York&day=2026-12-03").get_data(as_text=True)
    assert "Times are shown in <strong>America/New_York</strong>" in html
    shown = times_shown(html)  # her own visit (Thursday 10:00) does not block the times around it
    assert (shown[0], shown[4], shown[-1], len(shown)) == ("09:00", "10:00", "16:00", 29)
    assert 'name="tz" value="America/New_York"' in html  # the chosen time's confirmation stays in that zone


def test_with_no_time_left_this_month_the_screen_opens_on_the_next(app, make_practice):
    make_practice()
    with time_machine.travel(datetime(2026, 12, 31, 12, 0, tzinfo=timezone.utc), tick=False):
        visitor = Visitor(app, None)
        html = visitor.client.get("/book/initial?tz=America/New_York").get_data(as_text=True)
        assert '<h2 id="month-title">January 2027</h2>' in html
        assert day_heading(html) == "Open times on Friday 1 January"
        december = visitor.client.get("/book/initial?tz=America/New_York&month=2026-12").get_data(as_text=True)
        assert '<h2 id="month-title">December 2026</h2>' in december  # asked for: shown, and says so
        assert day_heading(december) == "No open times in December"


# --- the zone box understands people (issue 21 point 2) -------------------------------------------------

@pytest.mark.parametrize("typed, zone, label", [
    ("tokyo", "Asia/Tokyo", "Asia/Tokyo"), ("JST", "Asia/Tokyo", "Asia/Tokyo"),
    ("Asia/tokyo", "Asia/Tokyo", "Asia/Tokyo"), ("UTC+9", "Etc/GMT-9", "UTC+9"), ("GMT-5", "Etc/GMT%2B5", "UTC-5"),
    ("New York", "America/New_York", "America/New_York"),
    ("London", "Europe/London", "Europe/London"),
])
def test_a_zone_typed_as_people_write_it_shows_times_in_that_zone(visitor, typed, zone, label):
    response = visitor.client.get("/book/initial", query_string={"tz": typed, "day": "2026-12-03"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/book/initial?day=2026-12-03&tz={zone}"
    html = visitor.client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Times are shown in <strong>{label}</strong>" in html


def test_utc_plus_9_shows_the_times_nine_hours_ahead(visitor):
    html = visitor.client.get("/book/initial?tz=Etc/GMT-9&day=2026-12-04").get_data(as_text=True)
    assert times_shown(html)[0] == "00:00"  # Thursday 10:00 New York = 15:00 UTC = Friday 00:00 at UTC+9


@pytest.mark.parametrize("typed, message, suggested", [
    ("Mars", "We couldn't find a time zone for “Mars”", []),
    ("Tokio", "We couldn't find a time zone for “Tokio”", ["Asia/Tokyo"]),
    ("IST", "“IST” can mean India, Ireland or Israel", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
])
def test_a_zone_that_names_nothing_says_so_on_the_same_page_and_shows_no_times(visitor, typed, message, suggested):
    response = visitor.client.get("/book/initial", query_string={"tz": typed})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in html
    assert 'id="day-times"' not in html and "Times are shown in" not in html  # no other zone in its place
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html  # her text kept, the box marked
    assert re.findall(r'<li><a href="/book/initial\?tz=([^"]+)">', html) == suggested


def test_the_review_and_the_reschedule_screen_understand_the_zone_box_too(app, visitor, make_user, make_appointment):
    review = visitor.client.get("/book/initial/review?start=2026-12-03T15:00:00Z&tz=jst")
    assert review.status_code == 302 and review.headers["Location"].endswith("tz=Asia/Tokyo")
    assert visitor.client.get("/book/initial/review?start=2026-12-03T15:00:00Z&tz=Mars").status_code == 422
    from app.scheduling.schedule import active_type

    ada = make_user("ada@example.com", timezone="Europe/London")
    booked = make_appointment(active_type("initial"), ada, starts_at=datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc))
    patient = Visitor(app, "ada@example.com")
    path = f"/account/appointments/{booked.id}/reschedule"
    assert patient.client.get(f"{path}?tz=tokyo").headers["Location"] == f"{path}?tz=Asia/Tokyo"
    refused = patient.client.get(f"{path}?tz=Tokio")
    assert refused.status_code == 422
    assert "We couldn't find a time zone for “Tokio”" in unescape(refused.get_data(as_text=True))


@pytest.mark.parametrize("typed", ["Tokyo", "tokyo", "JST", "UTC+9", "Asia/tokyo"])
def test_the_json_api_stays_strict_iana_names_only(visitor, typed):
    answer = visitor.client.get("/api/v1/slots", query_string={"type": "initial", "start": "2026-12-03",
                                                              "end": "2026-12-03", "tz": typed})
    assert answer.status_code == 422 and answer.get_json()["error"]["param"] == "tz"
