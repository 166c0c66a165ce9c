"""Fetching a calendar's iCalendar data over the network. Runs only in the sync job (the CLI or the
task queue), never inside a web request. Every failure becomes a FetchError with a short message
for the practitioner's /practice/calendars page: what went wrong and at most the status code, never
anything the server sent (its reason phrase or body could be an internal service's answer).

Every request goes through app/calendars/transport.py: the address checked is the address
connected to, and one fetch (all its requests and redirects) ends by `deadline` seconds and never
reads more than MAX_BYTES per answer.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

import caldav
import requests
from caldav.lib import error as caldav_error

from app.calendars import transport
from app.calendars.addresses import AddressRefused, parse
from app.calendars.secrets import CalendarSecret

TIMEOUT = 20  # seconds to connect, and per read; the deadline bounds the whole fetch
DEADLINE = 30.0  # seconds for one calendar's fetch, every request together (CALENDAR_FETCH_SECONDS)
MAX_BYTES = 20 * 2**20  # an answer larger than this is refused rather than read into memory
MAX_REDIRECTS = 3
USER_AGENT = "Homeostasis calendar sync"


class FetchError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message[:500]


def _failed(error: BaseException, deadline: transport.Deadline) -> FetchError:
    """The message for a failure of the network or of the transport's limits."""
    if isinstance(error, AddressRefused):
        return FetchError(str(error))
    if isinstance(error, transport.DeadlinePassed) or deadline.expired:
        return FetchError(f"The calendar server did not send the calendar within {deadline.seconds:g} s.")
    if isinstance(error, transport.TooLarge):
        return FetchError(f"The calendar server sent more than {MAX_BYTES // 2**20} MB.")
    return FetchError(f"The calendar could not be reached ({type(error).__name__}).")


def fetch_ics(secret: CalendarSecret, *, allow_private: bool, deadline: float = DEADLINE) -> list[bytes]:
    """The .ics file at the address (Basic auth when a user name is given), following at most
    MAX_REDIRECTS redirects, each checked like the address itself."""
    url = secret.url
    auth = (secret.username, secret.password) if secret.username else None
    with transport.Deadline(deadline) as limit, \
            transport.session(allow_private=allow_private, max_bytes=MAX_BYTES) as session:
        try:
            for _ in range(MAX_REDIRECTS + 1):
                parse(url)  # http(s) only; the transport checks the host of every request
                response = session.get(url, auth=auth, timeout=TIMEOUT, allow_redirects=False,
                                       headers={"User-Agent": USER_AGENT, "Accept": "text/calendar"})
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise FetchError(f"The calendar server answered {response.status_code}.")
                return [response.content]
            raise FetchError("The calendar address redirects too many times.")
        except (AddressRefused, transport.DeadlinePassed, transport.TooLarge, requests.RequestException) as error:
            raise _failed(error, limit) from None


def fetch_caldav(secret: CalendarSecret, start: datetime, end: datetime, *, allow_private: bool,
                 deadline: float = DEADLINE) -> list[str]:
    """The events of the CalDAV calendar at the address that overlap [start, end), as the server
    stores them (series unexpanded: recurrence is expanded by app/calendars/busy.py)."""
    with transport.Deadline(deadline) as limit:
        try:
            parse(secret.url)
            with caldav.DAVClient(url=secret.url, username=secret.username or None,
                                  password=secret.password or None, timeout=TIMEOUT,
                                  headers={"User-Agent": USER_AGENT}) as client:
                transport.mount(client.session, allow_private=allow_private, max_bytes=MAX_BYTES)
                # A redirect could lead past the address check (SSRF): CalDAV addresses must be the final one.
                client.session.max_redirects = 0
                calendar = client.calendar(url=secret.url)
                found = calendar.search(start=start, end=end, event=True, expand=False)
                return [event.data for event in found]
        except caldav_error.AuthorizationError:
            raise FetchError("The calendar server refused the user name or password.") from None
        except caldav_error.NotFoundError:
            raise FetchError("The calendar server has no calendar at that address.") from None
        except caldav_error.DAVError as error:
            if limit.expired:
                raise _failed(error, limit) from None
            raise FetchError(f"The calendar server answered with an error ({type(error).__name__}).") from None
        except requests.TooManyRedirects:
            raise FetchError("The CalDAV address redirects elsewhere: give the calendar's final address.") from None
        except (AddressRefused, transport.DeadlinePassed, transport.TooLarge, requests.RequestException) as error:
            raise _failed(error, limit) from None
