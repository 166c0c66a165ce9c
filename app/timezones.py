"""Time zones: IANA names (checked strictly by the JSON API and the services), and what people type into
the booking screen's zone box, resolved by `resolve_zone` (issue 21 point 2).

`resolve_zone(text)` is pure: it answers a zone, or a message with suggestions, never a zone the text did
not name. In this order it understands:
  1. abbreviations people use (ABBREVIATIONS below; "JST", "EST", "PT"). The ambiguous ones ask instead:
     "IST" (India, Ireland or Israel), "CST" (US Central, China or Cuba), "BST" (British Summer Time or
     Bangladesh), "MST" (US Mountain with or without daylight saving), "GMT" (UTC or UK time), "AST",
     "SST". Legacy IANA names that are really abbreviations ("EST" is a fixed UTC-5 with no summer time)
     are read as the abbreviation, so "EST" means New York's clock;
  2. IANA names in any case, spaces for underscores ("asia/tokyo", "America/New York");
  3. offsets: "UTC+9", "GMT-5", "+09:00", "UTC+5:30". Whole hours are the fixed-offset zones Etc/GMT-9
     (IANA's sign is the other way round; shown as "UTC+9"), which never change for summer time; the
     half-hour offsets used all year by one place (India, Nepal, Iran, ...) are that place's zone; other
     offsets ask for a city;
  4. cities: the last part of every IANA zone name ("Tokyo", "new york", "Sao Paulo") and the big cities
     that are not in one (CITIES below: "San Francisco", "Mumbai", "Beijing");
  5. countries, from the tz database's own iso3166.tab and zone.tab (shipped by the tzdata package), and a
     few everyday names (COUNTRY_ALIASES: "USA", "UK", "South Korea"): a country with one zone is that
     zone; one with several asks which, listing them (MAIN_ZONES: the ones most people there mean);
  6. the old one-word IANA links that are no city or country ("Eire", "Navajo").
Anything else answers a message and the closest names (difflib), so a typo gets a suggestion."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from zoneinfo import available_timezones


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_zone_name(name: str | None) -> bool:
    return bool(name) and name in _zones()


def zone_names() -> list[str]:
    return sorted(_zones())


# --- what people type ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ZoneAnswer:
    zone: str | None  # an IANA name, or None when the text names no single zone
    message: str = ""  # why not, for the page
    suggestions: tuple[str, ...] = ()  # IANA names to offer instead


# Abbreviations: the zone whose clock people mean. Summer and winter forms both name the place.
ABBREVIATIONS = {
    "UTC": "UTC", "UCT": "UTC", "Z": "UTC", "ZULU": "UTC",
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "CT": "America/Chicago", "CDT": "America/Chicago",
    "MT": "America/Denver", "MDT": "America/Denver",
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage", "AKDT": "America/Anchorage", "HST": "Pacific/Honolulu",
    "NST": "America/St_Johns", "NDT": "America/St_Johns",
    "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon", "CET": "Europe/Paris", "CEST": "Europe/Paris",
    "MET": "Europe/Paris", "MEST": "Europe/Paris", "EET": "Europe/Athens", "EEST": "Europe/Athens",
    "MSK": "Europe/Moscow", "GST": "Asia/Dubai", "PKT": "Asia/Karachi", "NPT": "Asia/Kathmandu",
    "ICT": "Asia/Bangkok", "WIB": "Asia/Jakarta", "HKT": "Asia/Hong_Kong", "SGT": "Asia/Singapore",
    "PHT": "Asia/Manila", "JST": "Asia/Tokyo", "KST": "Asia/Seoul",
    "AWST": "Australia/Perth", "ACST": "Australia/Adelaide", "ACDT": "Australia/Adelaide",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland", "SAST": "Africa/Johannesburg", "CAT": "Africa/Maputo", "EAT": "Africa/Nairobi",
    "WAT": "Africa/Lagos", "BRT": "America/Sao_Paulo", "ART": "America/Argentina/Buenos_Aires",
}
# Abbreviations that name more than one clock: we ask rather than guess.
AMBIGUOUS = {
    "IST": ("India, Ireland or Israel", ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem")),
    "CST": ("US Central, China or Cuba", ("America/Chicago", "Asia/Shanghai", "America/Havana")),
    "BST": ("British Summer Time or Bangladesh", ("Europe/London", "Asia/Dhaka")),
    "MST": ("US Mountain time with summer time (Denver) or without it (Arizona)",
            ("America/Denver", "America/Phoenix")),
    "GMT": ("UTC all year, or UK time (GMT in winter, BST in summer)", ("UTC", "Europe/London")),
    "AST": ("Atlantic (Canada, Caribbean) or Arabia", ("America/Halifax", "America/Puerto_Rico", "Asia/Riyadh")),
    "SST": ("Samoa or Singapore", ("Pacific/Pago_Pago", "Asia/Singapore")),
}
# Big cities that are not the last part of a zone name.
CITIES = {
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles", "san diego": "America/Los_Angeles",
    "portland": "America/Los_Angeles", "las vegas": "America/Los_Angeles",
    "boston": "America/New_York", "washington": "America/New_York", "washington dc": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York", "philadelphia": "America/New_York",
    "houston": "America/Chicago", "dallas": "America/Chicago", "austin": "America/Chicago",
    "minneapolis": "America/Chicago", "salt lake city": "America/Denver", "montreal": "America/Toronto",
    "ottawa": "America/Toronto", "calgary": "America/Edmonton", "rio de janeiro": "America/Sao_Paulo",
    "manchester": "Europe/London", "edinburgh": "Europe/London", "glasgow": "Europe/London",
    "birmingham": "Europe/London", "cardiff": "Europe/London", "belfast": "Europe/London",
    "cork": "Europe/Dublin", "munich": "Europe/Berlin", "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "barcelona": "Europe/Madrid", "milan": "Europe/Rome", "geneva": "Europe/Zurich", "kiev": "Europe/Kyiv",
    "st petersburg": "Europe/Moscow", "saint petersburg": "Europe/Moscow", "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata", "hyderabad": "Asia/Kolkata",
    "beijing": "Asia/Shanghai", "shenzhen": "Asia/Shanghai", "guangzhou": "Asia/Shanghai",
    "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo", "abu dhabi": "Asia/Dubai", "tel aviv": "Asia/Jerusalem",
    "canberra": "Australia/Sydney", "wellington": "Pacific/Auckland", "cape town": "Africa/Johannesburg",
    "ho chi minh city": "Asia/Ho_Chi_Minh", "saigon": "Asia/Ho_Chi_Minh", "hanoi": "Asia/Bangkok",
}
COUNTRY_ALIASES = {
    "usa": "US", "us": "US", "united states of america": "US", "america": "US", "uk": "GB",
    "united kingdom": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "south korea": "KR", "korea": "KR", "north korea": "KP",
    "russia": "RU", "vietnam": "VN", "uae": "AE", "holland": "NL", "the netherlands": "NL",
    "czech republic": "CZ", "ivory coast": "CI", "turkey": "TR", "iran": "IR", "syria": "SY",
    "taiwan": "TW", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "laos": "LA", "moldova": "MD",
}
# Countries whose zone.tab list is long or led by a small place: the zones most people there mean.
MAIN_ZONES = {
    "US": ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
           "America/Anchorage", "Pacific/Honolulu"),
    "CA": ("America/St_Johns", "America/Halifax", "America/Toronto", "America/Winnipeg", "America/Regina",
           "America/Edmonton", "America/Vancouver"),
    "AU": ("Australia/Perth", "Australia/Darwin", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney",
           "Australia/Hobart"),
    "RU": ("Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Novosibirsk",
           "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Vladivostok"),
    "BR": ("America/Sao_Paulo", "America/Manaus", "America/Noronha", "America/Rio_Branco"),
    "MX": ("America/Mexico_City", "America/Cancun", "America/Chihuahua", "America/Tijuana"),
    "DE": ("Europe/Berlin",), "CN": ("Asia/Shanghai",), "NZ": ("Pacific/Auckland",),
}
# Offsets off the whole hour that one place keeps all year (no summer time): that place's zone.
PART_HOUR_OFFSETS = {
    330: "Asia/Kolkata", 345: "Asia/Kathmandu", 210: "Asia/Tehran", 270: "Asia/Kabul", 390: "Asia/Yangon",
    570: "Australia/Darwin", 525: "Australia/Eucla", -570: "Pacific/Marquesas",
}
OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+\-\u2212])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?$", re.IGNORECASE)
HINT = "Try a city (Tokyo), a country (Japan), a zone name (Asia/Tokyo) or an offset (UTC+9)."


def _key(text: str) -> str:
    """Lower case, accents dropped, underscores and runs of spaces as one space, dots gone ("St. Louis")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.replace("_", " ").replace(".", "").lower().split())


@cache
def _canonical() -> frozenset[str]:
    """The zones places use today (zone.tab), plus UTC."""
    return frozenset(zone for _, zone in _zone_tab()) | {"UTC"}


@cache
def _zone_tab() -> tuple[tuple[str, str], ...]:
    """(country code, zone) in the tz database's order: a country's most populous zone comes first."""
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return tuple((row[0], row[2]) for row in rows if valid_zone_name(row[2]))


@cache
def _countries() -> dict[str, str]:
    """Country name (keyed) -> ISO code, from iso3166.tab."""
    text = resources.files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")[:2]
            names[_key(name)] = code
    return names | {alias: code for alias, code in COUNTRY_ALIASES.items()}


@cache
def _by_name() -> dict[str, str]:
    """Every IANA name keyed case-insensitively (canonical zones win over old links of the same key)."""
    names = {_key(zone): zone for zone in _zones()}
    names.update({_key(zone): zone for zone in _canonical()})
    return names


@cache
def _cities() -> dict[str, str]:
    cities: dict[str, str] = {}
    for zone in sorted(_canonical()):
        if "/" in zone:
            cities.setdefault(_key(zone.rsplit("/", 1)[1]), zone)
    return cities | CITIES


def _zones_of(code: str) -> list[str]:
    if code in MAIN_ZONES:
        return [zone for zone in MAIN_ZONES[code] if valid_zone_name(zone)]
    return [zone for country, zone in _zone_tab() if country == code]


def zone_label(zone: str) -> str:
    """How the page names a zone: fixed offsets as "UTC+9", the rest by their IANA name."""
    match = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", zone)
    if match:
        return f"UTC{'-' if match.group(1) == '+' else '+'}{match.group(2)}"
    return zone


def _offset(sign: str, hours: str, minutes: str | None) -> ZoneAnswer | None:
    total = int(hours) * 60 + int(minutes or 0)
    total = -total if sign in "-\u2212" else total
    if total == 0:
        return ZoneAnswer("UTC")
    if total % 60 == 0 and -12 * 60 <= total <= 14 * 60:
        return ZoneAnswer(f"Etc/GMT{'-' if total > 0 else '+'}{abs(total) // 60}")
    if total in PART_HOUR_OFFSETS:
        return ZoneAnswer(PART_HOUR_OFFSETS[total])
    shown = f"UTC{'+' if total > 0 else '-'}{abs(total) // 60}:{abs(total) % 60:02d}"
    return ZoneAnswer(None, f"{shown} is not an offset we can show times in. Type the city you are in instead.")


def resolve_zone(text: str | None) -> ZoneAnswer:
    typed = " ".join((text or "").split())
    if not typed:
        return ZoneAnswer(None, f"Type where you are. {HINT}")
    if len(typed) > 64:
        return ZoneAnswer(None, f"That is too long for a time zone. {HINT}")
    upper = typed.upper()
    if upper in AMBIGUOUS:
        meaning, choices = AMBIGUOUS[upper]
        return ZoneAnswer(None, f"“{typed}” can mean {meaning}. Choose one, or type your city.", choices)
    if upper in ABBREVIATIONS:
        return ZoneAnswer(ABBREVIATIONS[upper])
    key = _key(typed)
    named = _by_name().get(key)
    if named and ("/" in named or named in _canonical()):
        return ZoneAnswer(named)
    match = OFFSET.match(typed)
    if match:
        answer = _offset(*match.groups())
        if answer:
            return answer
    if key in _cities():
        return ZoneAnswer(_cities()[key])
    if key in _countries():
        zones = _zones_of(_countries()[key])
        if len(zones) == 1:
            return ZoneAnswer(zones[0])
        if zones:
            return ZoneAnswer(None, f"{typed} has more than one time zone. Choose yours, or type your city.",
                              tuple(zones[:8]))
    if named:  # an old single-word IANA link that is no city or country we know ("Eire", "Navajo")
        return ZoneAnswer(named)
    close = difflib.get_close_matches(key, [*_cities(), *_countries()], n=4, cutoff=0.75)
    suggestions: list[str] = []
    for name in close:
        zone = _cities().get(name) or next(iter(_zones_of(_countries().get(name, ""))), None)
        if zone and zone not in suggestions:
            suggestions.append(zone)
    return ZoneAnswer(None, f"We couldn't find a time zone for “{typed}”. {HINT}", tuple(suggestions))
