"""Fetching a calendar's iCalendar data over the network. Runs only in the sync job (the CLI or the
task queue), never inside a web request. Every failure becomes a FetchError with a short message
for the practitioner's /practice/calendars page."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

import caldav
import requests
from caldav.lib import error as caldav_error

from app.calendars.addresses import AddressRefused, check_address
from app.calendars.secrets import CalendarSecret

TIMEOUT = 20  # seconds per request
MAX_BYTES = 20 * 2**20  # an .ics file larger than this is refused rather than read into memory
MAX_REDIRECTS = 3
USER_AGENT = "Homeostasis calendar sync"


class FetchError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message[:500]


def fetch_ics(secret: CalendarSecret, *, allow_private: bool) -> list[bytes]:
    """The .ics file at the address (Basic auth when a user name is given), following at most
    MAX_REDIRECTS redirects, each checked like the address itself."""
    url = secret.url
    auth = (secret.username, secret.password) if secret.username else None
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_address(url, allow_private=allow_private)
            with requests.get(url, auth=auth, timeout=TIMEOUT, allow_redirects=False, stream=True,
                              headers={"User-Agent": USER_AGENT, "Accept": "text/calendar"}) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise FetchError(f"The calendar server answered {response.status_code} "
                                     f"{response.reason or ''}".rstrip() + ".")
                return [_read_capped(response)]
        raise FetchError("The calendar address redirects too many times.")
    except AddressRefused as refused:
        raise FetchError(str(refused)) from None
    except requests.RequestException as error:
        raise FetchError(f"The calendar could not be reached ({type(error).__name__}).") from None


def _read_capped(response: requests.Response) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > MAX_BYTES:
            raise FetchError(f"The calendar file is larger than {MAX_BYTES // 2**20} MB.")
    return bytes(body)


def fetch_caldav(secret: CalendarSecret, start: datetime, end: datetime, *, allow_private: bool) -> list[str]:
    """The events of the CalDAV calendar at the address that overlap [start, end), as the server
    stores them (series unexpanded: recurrence is expanded by app/calendars/busy.py)."""
    try:
        check_address(secret.url, allow_private=allow_private)
        with caldav.DAVClient(url=secret.url, username=secret.username or None, password=secret.password or None,
                              timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}) as client:
            # A redirect could lead past the address check (SSRF): CalDAV addresses must be the final one.
            client.session.max_redirects = 0
            calendar = client.calendar(url=secret.url)
            found = calendar.search(start=start, end=end, event=True, expand=False)
            return [event.data for event in found]
    except AddressRefused as refused:
        raise FetchError(str(refused)) from None
    except caldav_error.AuthorizationError:
        raise FetchError("The calendar server refused the user name or password.") from None
    except caldav_error.NotFoundError:
        raise FetchError("The calendar server has no calendar at that address.") from None
    except caldav_error.DAVError as error:
        raise FetchError(f"The calendar server answered with an error ({type(error).__name__}).") from None
    except requests.TooManyRedirects:
        raise FetchError("The CalDAV address redirects elsewhere: give the calendar's final address.") from None
    except requests.RequestException as error:
        raise FetchError(f"The calendar could not be reached ({type(error).__name__}).") from None
