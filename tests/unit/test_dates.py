"""Dates and times as she reads them: in her programme's time zone and her language, with words
for recent times, never UTC; and the device she is logged in on, named the way she would name it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from eportfolio.kit.dates import device_name, format_day, format_moment, when
from eportfolio.kit.web import templates

AMSTERDAM = "Europe/Amsterdam"
CURACAO = "America/Curacao"
NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 14:00 in Amsterdam, 09:00 on Curaçao


@pytest.mark.parametrize(
    ("value", "zone", "language", "expected"),
    [
        (NOW - timedelta(seconds=20), AMSTERDAM, "nl", "zojuist"),
        (NOW - timedelta(seconds=20), AMSTERDAM, "en", "just now"),
        (NOW - timedelta(minutes=5), AMSTERDAM, "nl", "5 minuten geleden"),
        (NOW - timedelta(minutes=5), CURACAO, "en", "5 minutes ago"),
        (NOW + timedelta(minutes=30), AMSTERDAM, "nl", "over 30 minuten"),
        (datetime(2026, 12, 7, 11, 0, tzinfo=UTC), AMSTERDAM, "nl", "vandaag 12:00"),
        (datetime(2026, 12, 7, 8, 5, tzinfo=UTC), AMSTERDAM, "nl", "vandaag 09:05"),
        (datetime(2026, 12, 7, 8, 5, tzinfo=UTC), CURACAO, "nl", "vandaag 04:05"),
        (datetime(2026, 12, 7, 8, 5, tzinfo=UTC), CURACAO, "en", "today 04:05"),
        # After midnight in Amsterdam is still yesterday evening on Curaçao.
        (datetime(2026, 12, 7, 2, 30, tzinfo=UTC), AMSTERDAM, "nl", "vandaag 03:30"),
        (datetime(2026, 12, 7, 2, 30, tzinfo=UTC), CURACAO, "nl", "gisteren 22:30"),
        (datetime(2026, 12, 7, 2, 30, tzinfo=UTC), CURACAO, "en", "yesterday 22:30"),
        (datetime(2026, 12, 8, 7, 0, tzinfo=UTC), AMSTERDAM, "nl", "morgen 08:00"),
        (datetime(2026, 12, 3, 13, 5, tzinfo=UTC), AMSTERDAM, "nl", "3 december om 14:05"),
        (datetime(2026, 12, 3, 13, 5, tzinfo=UTC), AMSTERDAM, "en", "3 December, 14:05"),
        (datetime(2025, 6, 30, 13, 5, tzinfo=UTC), AMSTERDAM, "nl", "30 juni 2025 om 15:05"),
        (datetime(2025, 6, 30, 13, 5, tzinfo=UTC), CURACAO, "en", "30 June 2025, 09:05"),
    ],
)
def test_a_moment_in_her_zone_and_language(value: datetime, zone: str, language: str, expected: str) -> None:
    assert format_moment(value, language, zone, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        # Summer time starts on 29 March 2026 at 01:00 UTC: 02:00 in Amsterdam becomes 03:00.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), AMSTERDAM, "29 maart om 01:59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), AMSTERDAM, "29 maart om 03:00"),
        # Summer time ends on 25 October 2026 at 01:00 UTC: 03:00 in Amsterdam becomes 02:00 again.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), AMSTERDAM, "25 oktober om 02:30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), AMSTERDAM, "25 oktober om 02:30"),
        # Curaçao keeps UTC-4 all year: the same moments, no jump.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), CURACAO, "28 maart om 20:59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), CURACAO, "28 maart om 21:00"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), CURACAO, "24 oktober om 21:30"),
    ],
)
def test_summer_time_boundaries(value: datetime, zone: str, expected: str) -> None:
    assert format_moment(value, "nl", zone, now=NOW) == expected


def test_a_day_plain_inside_a_sentence_and_relative_where_it_helps() -> None:
    assert format_day(date(2026, 12, 8), "nl", AMSTERDAM, now=NOW) == "8 december"
    assert format_day(date(2026, 12, 8), "nl", AMSTERDAM, relative=True, now=NOW) == "morgen"
    assert format_day(date(2026, 12, 7), "en", AMSTERDAM, relative=True, now=NOW) == "today"
    assert format_day(date(2026, 12, 6), "en", CURACAO, relative=True, now=NOW) == "yesterday"
    assert format_day(date(2099, 6, 30), "nl", AMSTERDAM, now=NOW) == "30 juni 2099"
    assert format_day(date(2099, 6, 30), "en", AMSTERDAM, now=NOW) == "30 June 2099"
    # A moment as a day is the day where the programme is.
    late = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
    assert format_day(late, "nl", AMSTERDAM, now=NOW) == "9 december"
    assert format_day(late, "nl", CURACAO, now=NOW) == "8 december"
    assert when(date(2026, 12, 8), "nl", AMSTERDAM, now=NOW) == "morgen"
    assert when(None, "nl") == ""


def test_odd_input_still_reads_well() -> None:
    naive = datetime(2026, 12, 3, 13, 5)  # noqa: DTZ001 - a row from SQLite without its zone is UTC
    assert format_moment(naive, "nl", AMSTERDAM, now=NOW) == "3 december om 14:05"
    assert format_moment(NOW - timedelta(hours=3), "nl", "Not/AZone", now=NOW) == "vandaag 11:00"
    assert format_moment(NOW - timedelta(hours=3), "ar", AMSTERDAM, now=NOW) == "vandaag 11:00"


def test_the_template_filters_use_the_page_language_and_the_programme_zone() -> None:
    page = templates.from_string("{{ moment|when }} | {{ moment|day }} | {{ moment|when('America/Curacao') }}")
    moment = datetime(2025, 1, 1, 2, 30, tzinfo=UTC)
    assert page.render(lang="nl", programme={"time_zone": AMSTERDAM}, moment=moment) == (
        "1 januari 2025 om 03:30 | 1 januari 2025 | 31 december 2024 om 22:30"
    )
    assert page.render(lang="en", time_zone=CURACAO, moment=moment) == (
        "31 December 2024, 22:30 | 31 December 2024 | 31 December 2024, 22:30"
    )
    # Without a programme on the page: the organisation's default zone.
    assert templates.from_string("{{ moment|when }}").render(lang="nl", moment=moment) == "1 januari 2025 om 03:30"


CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A146B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Mobile/15E148 Safari/604.1"
)
CHROME_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("agent", "language", "expected"),
    [
        (CHROME_ANDROID, "nl", "Chrome op Android"),
        (CHROME_ANDROID, "en", "Chrome on Android"),
        (SAFARI_IPHONE, "nl", "Safari op iPhone"),
        (CHROME_IPHONE, "nl", "Chrome op iPhone"),
        (SAMSUNG, "nl", "Samsung Internet op Android"),
        (EDGE_WINDOWS, "en", "Edge on Windows"),
        (FIREFOX_LINUX, "nl", "Firefox op Linux"),
        (SAFARI_MAC, "nl", "Safari op Mac"),
        ("", "nl", "Onbekend apparaat"),
        ("python-httpx/0.27.0", "en", "Unknown device"),
        ("Mozilla/5.0 (Windows NT 10.0) SomethingNew/1.0", "nl", "een browser op Windows"),
    ],
)
def test_devices_are_named_as_she_would(agent: str, language: str, expected: str) -> None:
    assert device_name(agent, language) == expected
