"""Server time of the hot pages, their statement counts, and their throughput at 50 concurrent.

    .venv/bin/python bench/pages/pages.py [--backend sqlite|postgres] [--runs 3] [--requests 300]
        [--concurrent-requests 500] [--only NAME ...]

Each run: a fresh, migrated database and a fresh app (``harness``), the test world
(``tests/support/world.py``) and, written directly as set-up, not measured:

- her home (``/``): the world's participant (Mother A), with her coach;
- her portfolio with 200 items: the page (``/portfolio/programmes/…``, a shell the browser fills)
  and the item list it fetches (``GET /api/v1/portfolio/{id}/items``, 200 sealed items);
- a conversation with 500 messages: the page (``/chat/{id}``) and its history
  (``GET /api/v1/chat/conversations/{id}/messages``, the first page of 200);
- the coach's caseload (``/caseload``) with 50 participants (``tests/support/caseload.py``);
- the staff people list (``/manage/programmes/{id}/people``) with 1,000 people;
- the chat list (``/chat``) and ``/menu`` (a page with nothing but the menu: the fixed cost of a
  signed-in page) and ``/healthz`` (no session, no database: the cost of the stack itself).

Per page: the SQL statements of one request; p50 and p99 of 300 requests one after the other
(and the process's CPU time per request); pages per second and p99 when 500 requests are made
with 50 in flight at all times. Printed per run, then the medians as a table, with the load
average before and after (the machine may be shared: compare figures of one session only).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import timedelta

import httpx
from fastapi import FastAPI
from harness import Page, run_all
from tests.support.caseload import seed_caseload
from tests.support.chat import body, client_id
from tests.support.world import build_world

from eportfolio.accounts.sessions import SESSION_COOKIE, start_session
from eportfolio.chat.tables import Conversation, Marker, Message
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.portfolio.tables import Portfolio, PortfolioItem
from eportfolio.programmes.tables import Membership, Person

PARTICIPANTS = 50
ITEMS = 200
MESSAGES = 500
PEOPLE = 1000


async def _cookies(app: FastAPI, person_id: object) -> httpx.Cookies:
    async with unit_of_work(app.state.sessionmaker) as uow:
        _row, token = await start_session(uow, app.state.settings, person_id)  # type: ignore[arg-type]
    cookies = httpx.Cookies()
    cookies.set(SESSION_COOKIE, token)
    cookies.set("ep_csrf", "c" * 43)
    return cookies


def _contains(text: str, times: int) -> object:
    def check(answer: httpx.Response) -> None:
        assert answer.text.count(text) >= times, (text, answer.text.count(text), times)

    return check


async def seed(app: FastAPI) -> list[Page]:
    maker = app.state.sessionmaker
    world = await build_world(maker)
    await seed_caseload(
        maker, organisation_id=world.organisation_id, programme_id=world.programme_a,
        coach_id=world.coach_a, signer_id=world.staff_a, count=PARTICIPANTS - 1,
    )
    now = utcnow()
    async with unit_of_work(maker) as uow:
        add = uow.session.add
        her, programme, org = world.participant_a, world.programme_a, world.organisation_id
        portfolio = Portfolio(organisation_id=org, programme_id=programme, participant_id=her, epoch=1,
                              epoch_key_id="k" * 16)
        conversation = Conversation(organisation_id=org, programme_id=programme, kind="coaching",
                                    subject_key=f"coaching:{her}", participant_id=her, last_seq=MESSAGES, epoch=1)
        add(portfolio)
        add(conversation)
        await uow.session.flush()
        for number in range(ITEMS):
            add(PortfolioItem(
                organisation_id=org, programme_id=programme, portfolio_id=portfolio.id, kind="diary",
                audience="my_coaches" if number % 2 else "only_me", created_by=her, author_id=her,
                key_id="k" * 16, envelope=body(600), occurred_on=(now - timedelta(days=number)).date(),
            ))
        for seq in range(1, MESSAGES + 1):
            add(Message(
                organisation_id=org, programme_id=programme, conversation_id=conversation.id, seq=seq,
                kind="person", author_id=her if seq % 2 else world.coach_a, client_id=client_id(),
                body=body(300), epoch=1, created_at=now - timedelta(minutes=MESSAGES - seq),
            ))
        add(Marker(conversation_id=conversation.id, person_id=her, programme_id=programme,
                   delivered_seq=MESSAGES, read_seq=MESSAGES))
        for number in range(PEOPLE - 7):  # the world has seven people in the programme already
            person = Person(organisation_id=org, display_name=f"Persoon {number:04d}", language="nl")
            add(person)
            await uow.session.flush()
            add(Membership(organisation_id=org, programme_id=programme, person_id=person.id,
                           role="participant" if number % 10 else "coach",
                           coach_kind=None if number % 10 else "individual"))
    her_cookies = await _cookies(app, world.participant_a)
    coach_cookies = await _cookies(app, world.coach_a)
    staff_cookies = await _cookies(app, world.staff_a)
    return [
        Page("healthz", "/healthz", httpx.Cookies()),
        Page("menu (fixed cost)", "/menu", her_cookies),
        Page("her home", "/", her_cookies),
        Page("portfolio page", f"/portfolio/programmes/{programme}", her_cookies),
        Page(f"portfolio items ({ITEMS}, API)", f"/api/v1/portfolio/{portfolio.id}/items", her_cookies,
             _contains('"envelope"', ITEMS)),
        Page("chat list", "/chat", her_cookies),
        Page("conversation page", f"/chat/{conversation.id}", her_cookies),
        Page(f"conversation history ({MESSAGES}, API)", f"/api/v1/chat/conversations/{conversation.id}/messages",
             her_cookies, _contains('"seq"', 200)),
        Page(f"caseload ({PARTICIPANTS})", "/caseload", coach_cookies,
             _contains('class="card caseload-row', PARTICIPANTS)),
        Page(f"people list ({PEOPLE})", f"/manage/programmes/{programme}/people", staff_cookies,
             _contains("Persoon ", PEOPLE - 7)),
    ]


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would be timed too
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrent-requests", type=int, default=500)
    parser.add_argument("--only", nargs="*", help="page names (as printed) to measure, by prefix")
    args = parser.parse_args()
    runs, requests = max(1, min(args.runs, 10)), max(10, min(args.requests, 2000))
    concurrent_requests = max(50, min(args.concurrent_requests, 5000))
    only = set(args.only) if args.only else None
    asyncio.run(run_all(args.backend, runs, requests, concurrent_requests, seed, only))


if __name__ == "__main__":
    main()
