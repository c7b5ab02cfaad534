"""The demo organisation: one organisation, two programmes in two municipalities, and groups.

Idempotent: every step looks for what it would make and skips it when it is there.
Refuses to run outside development, because demo people have known passwords.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.accounts.hashing import SecretHasher
from eportfolio.accounts.repository import AccountRepository
from eportfolio.config import Settings
from eportfolio.domain import chat as chat_domain
from eportfolio.domain.accounts import OrganisationKeyCreate, SignUpRequest
from eportfolio.domain.people import Role
from eportfolio.domain.portfolio import PinnedKeysWrite
from eportfolio.domain.programmes import GroupCreate, LanguageLevel, ProgrammeCreate, ProgrammeSettings
from eportfolio.duty import service as duty_service
from eportfolio.duty.repository import DutyRepository
from eportfolio.invitations import service as invitations
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from eportfolio.portfolio import service as portfolio
from eportfolio.programmes import groups as group_members
from eportfolio.programmes.repository import ProgrammeRepository, system_scope
from eportfolio.programmes.service import ensure_organisation
from eportfolio.programmes.tables import CoachAssignment, Group, Membership, Person, Programme
from eportfolio.trust import service as trust
from eportfolio.trust.repository import TrustRepository
from eportfolio.trust.tables import ProgrammeKey, SigningKeyCopy

ORGANISATION_NAME = "Stichting Sterke Moeders (demo)"
# The "browser" the demo signs people up with; its sessions are ended when the demo is done.
DEMO_USER_AGENT = "eportfolio demo"

PROGRAMMES = [
    ProgrammeCreate(
        name="Smart Mama Emmen",
        slug="smart-mama-emmen",
        municipality="Emmen",
        funder="Gemeente Emmen",
        time_zone="Europe/Amsterdam",
        languages=["nl", "en", "ar"],
        trajectory_months=24,
        settings=ProgrammeSettings(
            first_escalation_minutes=30,
            second_escalation_minutes=120,
            out_of_hours_reply=(
                "Bedankt voor je bericht. Er is nu niemand van dienst. Een coach leest je bericht zo snel mogelijk."
            ),
            crisis_numbers="Bij direct gevaar: 112. Veilig Thuis: 0800-2000. 113 Zelfmoordpreventie: 0800-0113.",
        ),
    ),
    ProgrammeCreate(
        name="Smart Mama Kòrsou",
        slug="smart-mama-curacao",
        municipality="Willemstad",
        funder="Ministerie van Sociale Ontwikkeling, Arbeid en Welzijn",
        time_zone="America/Curacao",
        languages=["nl", "pap", "en"],
        trajectory_months=18,
        settings=ProgrammeSettings(
            first_escalation_minutes=45,
            second_escalation_minutes=180,
            out_of_hours_reply=(
                "Bedankt voor je bericht. Er is nu niemand van dienst. Een coach reageert zo snel mogelijk."
            ),
            crisis_numbers="Emergencia: 911. Crisislijn: 918.",
        ),
    ),
]

GROUPS = {
    "smart-mama-emmen": [
        GroupCreate(name="Kiezen voor werk — voorjaar", capacity=8, language_level=LanguageLevel.b1),
        GroupCreate(name="Budgettraining — taalniveau A2", capacity=8, language_level=LanguageLevel.a2),
    ],
    "smart-mama-curacao": [
        GroupCreate(name="Presenteer jezelf", capacity=10, language_level=LanguageLevel.mixed),
    ],
}


@dataclass
class DemoReport:
    created: list[str]
    skipped: list[str]
    # (login, demo password, role) of the people made in this run.
    logins: list[tuple[str, str, str]] = field(default_factory=list)


async def load_organisation(uow: UnitOfWork, report: DemoReport) -> dict[str, Programme]:
    organisation = await ensure_organisation(uow, ORGANISATION_NAME)
    repo = ProgrammeRepository(uow.session)
    programmes: dict[str, Programme] = {}
    for spec in PROGRAMMES:
        programme = await repo.find_programme_by_slug(organisation.id, spec.slug)
        if programme is None:
            programme = Programme(
                organisation_id=organisation.id,
                name=spec.name,
                slug=spec.slug,
                municipality=spec.municipality,
                funder=spec.funder,
                time_zone=spec.time_zone,
                languages=spec.languages,
                trajectory_months=spec.trajectory_months,
                settings=spec.settings.model_dump(),
            )
            uow.session.add(programme)
            await uow.flush()
            report.created.append(f"programme {spec.name}")
        else:
            report.skipped.append(f"programme {spec.name}")
        programmes[spec.slug] = programme
        scope = system_scope(organisation.id, programme.id)
        for group_spec in GROUPS[spec.slug]:
            if await repo.find_group_by_name(scope, group_spec.name) is not None:
                report.skipped.append(f"group {group_spec.name}")
                continue
            uow.session.add(
                Group(
                    organisation_id=organisation.id,
                    programme_id=programme.id,
                    name=group_spec.name,
                    capacity=group_spec.capacity,
                    language_level=group_spec.language_level.value,
                    description=group_spec.description,
                )
            )
            report.created.append(f"group {group_spec.name}")
    await uow.flush()
    return programmes


async def load(sessionmaker: async_sessionmaker[AsyncSession]) -> DemoReport:
    report = DemoReport(created=[], skipped=[])
    async with unit_of_work(sessionmaker) as uow:
        programmes = await load_organisation(uow, report)
        await load_modules(uow, programmes, report)
        await load_people(uow, programmes, report, SecretHasher())
        await load_peer_coaches(uow, programmes, report, SecretHasher())
        await load_rosters(uow, programmes, report)
        await load_group_members(uow, programmes, report)
        await load_assignments(uow, programmes, report)
        await end_demo_sessions(uow)
    return report


async def end_demo_sessions(uow: UnitOfWork) -> None:
    """Signing up logs her in, as in her browser; the demo's own sessions end at once, so her
    account page lists only the phones she logged in on (no unknown device she never used)."""
    from sqlalchemy import update

    from eportfolio.accounts.tables import Session

    await uow.session.execute(
        update(Session)
        .where(Session.user_agent == DEMO_USER_AGENT, Session.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason="demo_sign_up")
    )


# Demo modules ------------------------------------------------------------------------------
# Each assignment's lessons and questions fit its title, in plain Dutch (B1) with English where
# the programme offers it. Every module starts with at least one lesson, read before the questions.


def _q(key: str, kind: str, prompt: str, en: str, **more: Any) -> dict[str, Any]:
    """A question with its English prompt (``en_options`` and ``en_labels`` translate the rest)."""
    en_texts: dict[str, Any] = {"prompt": en}
    if "en_options" in more:
        en_texts["options"] = more.pop("en_options")
    if "en_labels" in more:
        en_texts["scale_min_label"], en_texts["scale_max_label"] = more.pop("en_labels")
    return {"key": key, "kind": kind, "prompt": prompt, "translations": {"en": en_texts}, **more}


DEMO_MODULES: dict[str, list[dict[str, Any]]] = {
    "smart-mama-emmen": [
        {
            "title": "Rondkomen: budgettraining",
            "theme": "geld",
            "language_level": "A2",
            "summary": "Zicht op je geld: wat komt erin, wat gaat eruit, en hoe hou je iets over?",
            "translations": {
                "en": {
                    "title": "Making ends meet: budget training",
                    "theme": "money",
                    "summary": "Know where your money goes: what comes in, what goes out, and how to keep some.",
                }
            },
            "lessons": [
                {
                    "key": "les1budget",
                    "title": "Wat komt erin, wat gaat eruit?",
                    "body": "Een budget is een plan voor je geld.\n\n"
                    "1. Schrijf op wat je **elke maand** krijgt: loon, uitkering, toeslagen, kindgebonden budget.\n"
                    "2. Schrijf op wat je elke maand betaalt: huur, energie, zorgverzekering, telefoon.\n"
                    "3. Kijk wat er overblijft voor boodschappen en andere dingen.",
                    "translations": {
                        "en": {
                            "title": "What comes in, what goes out?",
                            "body": "A budget is a plan for your money.\n\n"
                            "1. Write down what you get **every month**: wages, benefits, allowances.\n"
                            "2. Write down what you pay every month: rent, energy, health insurance, phone.\n"
                            "3. See what is left for groceries and other things.",
                        }
                    },
                },
                {
                    "key": "les2vaste",
                    "title": "Vaste lasten en losse uitgaven",
                    "body": "**Vaste lasten** betaal je elke maand: huur, energie, zorgverzekering, telefoon.\n\n"
                    "**Losse uitgaven** zijn elke week anders: boodschappen, kleding, een cadeautje.\n\n"
                    "Tip: bewaar een week lang al je bonnetjes. Dan zie je waar je geld heen gaat.",
                    "translations": {
                        "en": {
                            "title": "Fixed costs and other spending",
                            "body": "**Fixed costs** you pay every month: rent, energy, health insurance, phone.\n\n"
                            "**Other spending** is different every week: groceries, clothes, a small present.\n\n"
                            "Tip: keep all your receipts for one week. Then you see where your money goes.",
                        }
                    },
                },
            ],
            "templates": [
                {
                    "key": "opdrbudget",
                    "title": "Mijn maandbudget",
                    "intro": "Vier korte vragen over jouw geld. Er zijn geen foute antwoorden.",
                    "translations": {
                        "en": {
                            "title": "My monthly budget",
                            "intro": "Four short questions about your money. There are no wrong answers.",
                        }
                    },
                    "questions": [
                        _q(
                            "vraaginkomen",
                            "open_text",
                            "Wat komt er elke maand binnen? Schrijf alles op wat je krijgt.",
                            "What comes in every month? Write down everything you get.",
                        ),
                        _q(
                            "vraaggeld1",
                            "choice",
                            "Waar gaat het meeste geld naartoe?",
                            "Where does most of the money go?",
                            options=["Huur", "Boodschappen", "Telefoon en internet", "Iets anders"],
                            en_options=["Rent", "Groceries", "Phone and internet", "Something else"],
                        ),
                        _q(
                            "vraagzeker",
                            "scale",
                            "Hoe goed lukt het om rond te komen?",
                            "How well do you manage to make ends meet?",
                            scale_min=1,
                            scale_max=5,
                            scale_min_label="niet goed",
                            scale_max_label="heel goed",
                            en_labels=("not well", "very well"),
                        ),
                        _q(
                            "vraagsessie",
                            "session_reflection",
                            "Wat nam je mee uit de bijeenkomst over geld?",
                            "What did you take away from the session about money?",
                        ),
                    ],
                }
            ],
        },
        {
            "title": "Kiezen voor werk",
            "theme": "werk",
            "language_level": "B1",
            "summary": "Wat kun je al, en welk werk past bij jou en je gezin?",
            "translations": {
                "en": {
                    "title": "Choosing work",
                    "theme": "work",
                    "summary": "What can you do already, and which work fits you and your family?",
                }
            },
            "lessons": [
                {
                    "key": "les1werk",
                    "title": "Wat kun jij al?",
                    "body": "Je kunt meer dan je denkt. Kijk naar wat je thuis elke dag doet.\n\n"
                    "- **Plannen**: de week van je gezin regelen\n"
                    "- **Zorgen**: voor je kinderen, je ouders of de buren\n"
                    "- **Samenwerken**: met school, familie en instanties\n\n"
                    "Dat zijn vaardigheden. Werkgevers zoeken die ook.",
                    "translations": {
                        "en": {
                            "title": "What can you do already?",
                            "body": "You can do more than you think. Look at what you do at home every day.\n\n"
                            "- **Planning**: organising your family's week\n"
                            "- **Caring**: for your children, your parents or your neighbours\n"
                            "- **Working together**: with school, family and offices\n\n"
                            "These are skills. Employers look for them too.",
                        }
                    },
                },
                {
                    "key": "les2werk",
                    "title": "Welk werk past bij jouw leven?",
                    "body": "Kijk niet alleen naar wat je leuk vindt. Kijk ook naar:\n\n"
                    "- **Tijden**: past het bij school en opvang van je kinderen?\n"
                    "- **Reizen**: hoe kom je er, en hoe lang duurt het?\n"
                    "- **Leren**: kun je een opleiding doen terwijl je werkt?\n\n"
                    "Praat erover met je coach.",
                    "translations": {
                        "en": {
                            "title": "Which work fits your life?",
                            "body": "Do not only look at what you like. Also look at:\n\n"
                            "- **Hours**: does it fit with school and childcare?\n"
                            "- **Travel**: how do you get there, and how long does it take?\n"
                            "- **Learning**: can you follow a course while you work?\n\n"
                            "Talk about it with your coach.",
                        }
                    },
                },
            ],
            "templates": [
                {
                    "key": "opdrwerk",
                    "title": "Mijn werkwensen",
                    "intro": "Drie vragen over werk dat bij jou past.",
                    "translations": {
                        "en": {"title": "The work I want", "intro": "Three questions about work that fits you."}
                    },
                    "questions": [
                        _q(
                            "vraagwerk1",
                            "open_text",
                            "Welk werk zou je graag doen? Waarom?",
                            "What work would you like to do? Why?",
                        ),
                        _q(
                            "vraagkunnen",
                            "checklist",
                            "Wat kun jij al? Kies alles wat past.",
                            "What can you do already? Choose everything that fits.",
                            options=["Plannen", "Zorgen voor anderen", "Samenwerken", "Rekenen", "Klanten helpen"],
                            en_options=[
                                "Planning",
                                "Caring for others",
                                "Working together",
                                "Sums",
                                "Serving customers",
                            ],
                        ),
                        _q(
                            "vraaguren",
                            "choice",
                            "Hoeveel uur per week wil je werken?",
                            "How many hours a week do you want to work?",
                            options=["Minder dan 12 uur", "12 tot 24 uur", "Meer dan 24 uur"],
                            en_options=["Less than 12 hours", "12 to 24 hours", "More than 24 hours"],
                        ),
                    ],
                }
            ],
        },
    ],
    "smart-mama-curacao": [
        {
            "title": "Presenteer jezelf",
            "theme": "werk",
            "language_level": "A2",
            "summary": "Vertel in één minuut wie je bent, wat je kunt en wat je zoekt.",
            "translations": {
                "en": {
                    "title": "Present yourself",
                    "theme": "work",
                    "summary": "Say in one minute who you are, what you can do and what you are looking for.",
                }
            },
            "lessons": [
                {
                    "key": "les1pitch",
                    "title": "Jezelf voorstellen in één minuut",
                    "body": "Bij een sollicitatie vragen mensen vaak: *Vertel eens iets over jezelf.*\n\n"
                    "Een goed antwoord heeft drie delen:\n\n"
                    "1. **Wie ben je?** Je naam en waar je woont.\n"
                    "2. **Wat kun je?** Twee dingen waar je goed in bent.\n"
                    "3. **Wat zoek je?** Het werk of de opleiding die je wilt.\n\n"
                    "Oefen het hardop, bijvoorbeeld voor de spiegel.",
                    "translations": {
                        "en": {
                            "title": "Introducing yourself in one minute",
                            "body": "At a job interview people often ask: *Tell me about yourself.*\n\n"
                            "A good answer has three parts:\n\n"
                            "1. **Who are you?** Your name and where you live.\n"
                            "2. **What can you do?** Two things you are good at.\n"
                            "3. **What are you looking for?** The work or the course you want.\n\n"
                            "Practise it out loud, for example in front of the mirror.",
                        }
                    },
                }
            ],
            "templates": [
                {
                    "key": "opdrpitch",
                    "title": "Mijn verhaal in één minuut",
                    "intro": "Schrijf je verhaal op en neem het op als je wilt.",
                    "translations": {
                        "en": {
                            "title": "My story in one minute",
                            "intro": "Write your story down and record it if you like.",
                        }
                    },
                    "questions": [
                        _q(
                            "vraagpitch",
                            "open_text",
                            "Schrijf je verhaal op: wie ben je, wat kun je, wat zoek je?",
                            "Write your story: who are you, what can you do, what are you looking for?",
                        ),
                        _q(
                            "vraagopname",
                            "upload",
                            "Neem je verhaal op als spraakbericht.",
                            "Record your story as a voice note.",
                            upload_kind="voice",
                            required=False,
                        ),
                        _q(
                            "vraagspannend",
                            "scale",
                            "Hoe spannend vind je het om jezelf voor te stellen?",
                            "How nervous are you about introducing yourself?",
                            scale_min=1,
                            scale_max=5,
                            scale_min_label="niet spannend",
                            scale_max_label="heel spannend",
                            en_labels=("not nervous", "very nervous"),
                        ),
                    ],
                }
            ],
        }
    ],
}


async def load_modules(uow: UnitOfWork, programmes: dict[str, Programme], report: DemoReport) -> None:
    """The published demo modules of each programme (a module whose title is there is skipped)."""
    from eportfolio.domain.modules import LessonRead, TemplateRead
    from eportfolio.modules.tables import Module, ModuleVersion

    for slug, modules in DEMO_MODULES.items():
        programme = programmes[slug]
        for spec in modules:
            title = str(spec["title"])
            existing = await uow.session.execute(
                select(ModuleVersion.id).where(ModuleVersion.programme_id == programme.id, ModuleVersion.title == title)
            )
            if existing.first() is not None:
                report.skipped.append(f"module {title}")
                continue
            # Through the domain model, so the demo holds exactly what staff could have written.
            lessons = [LessonRead.model_validate(item).model_dump(mode="json") for item in spec["lessons"]]
            templates = [TemplateRead.model_validate(item).model_dump(mode="json") for item in spec["templates"]]
            now = utcnow()
            module = Module(
                organisation_id=programme.organisation_id,
                programme_id=programme.id,
                status="published",
                created_at=now,
                updated_at=now,
            )
            uow.session.add(module)
            await uow.flush()
            uow.session.add(
                ModuleVersion(
                    organisation_id=programme.organisation_id,
                    programme_id=programme.id,
                    module_id=module.id,
                    number=1,
                    state="published",
                    title=title,
                    theme=spec["theme"],
                    language_level=spec["language_level"],
                    summary=spec["summary"],
                    translations=spec["translations"],
                    lessons=lessons,
                    templates=templates,
                    created_at=now,
                    published_at=now,
                )
            )
            report.created.append(f"module {title}")


# Demo people -------------------------------------------------------------------------------
# Each signs up through the Python keyring exactly as her browser would (real KDF parameters,
# real key bundles); the organisation and programme keys are made and passed on the same way.


@dataclass(frozen=True)
class DemoPerson:
    login: str
    display_name: str
    role: Role
    programme: str | None  # slug; None for the organisation admin
    coach_kind: str | None = None


PEOPLE = [
    DemoPerson("beheer", "Annet Beheer", Role.org_admin, None),
    DemoPerson("staf.emmen", "Sandra Staf", Role.staff, "smart-mama-emmen"),
    DemoPerson("coach.emmen", "Chantal Coach", Role.coach, "smart-mama-emmen", "individual"),
    DemoPerson("begeleider.emmen", "Bianca Begeleider", Role.supervisor, "smart-mama-emmen"),
    DemoPerson("fatima", "Fatima", Role.participant, "smart-mama-emmen"),
    DemoPerson("lisa", "Lisa", Role.participant, "smart-mama-emmen"),
    DemoPerson("staf.korsou", "Shirley Staf", Role.staff, "smart-mama-curacao"),
    DemoPerson("coach.korsou", "Giselle Coach", Role.coach, "smart-mama-curacao", "individual"),
    DemoPerson("maria", "Maria", Role.participant, "smart-mama-curacao"),
]
# Who coaches whom: a signed coach assignment record for each.
CASELOAD = {"fatima": "coach.emmen", "lisa": "coach.emmen", "maria": "coach.korsou"}


def demo_password(login: str) -> str:
    """Known passwords, for the demo only (which refuses to run outside development)."""
    return f"welkom-{login}"


@dataclass
class DemoKeys:
    identities: dict[str, crypto.Identity]
    organisation_key: crypto.SigningKey | None = None


async def _unlock(uow: UnitOfWork, login: str) -> crypto.Identity | None:
    account = await AccountRepository(uow.session).account_by_login(login)
    if account is None:
        return None
    return crypto.Identity.unlock(account.key_bundle, login, demo_password(login), user_id=str(account.person_id))


async def _sign_up(
    uow: UnitOfWork,
    client: accounts.Client,
    organisation_id: uuid.UUID,
    spec: DemoPerson,
    programme: Programme | None,
) -> tuple[crypto.Identity, crypto.SigningKey | None]:
    person = Person(organisation_id=organisation_id, display_name=spec.display_name, language="nl")
    uow.session.add(person)
    await uow.flush()
    if programme is not None:
        uow.session.add(
            Membership(
                organisation_id=organisation_id,
                programme_id=programme.id,
                person_id=person.id,
                role=spec.role.value,
                coach_kind=spec.coach_kind,
            )
        )
    code, invitation = invitations._new_invitation(  # noqa: SLF001 - demo seeding makes invitations without a caller
        organisation_id, programme.id if programme else None, person.id, spec.role, None
    )
    uow.session.add(invitation)
    await uow.flush()
    made = crypto.Identity.create(spec.login, demo_password(spec.login), user_id=str(person.id))
    organisation_key = None
    key_create = None
    if spec.role is Role.org_admin and await TrustRepository(uow.session).organisation_key(organisation_id) is None:
        organisation_key = crypto.SigningKey.generate()
        key_create = OrganisationKeyCreate(
            ed25519_public=crypto.b64u_encode(organisation_key.public),
            sealed_copy=crypto.b64u_encode(organisation_key.seal_for(made.identity.person)),
        )
    await invitations.accept_invitation(
        uow,
        client,
        SignUpRequest(
            invitation_code=code,
            login=spec.login,
            key_bundle=crypto.b64u_encode(made.bundle),
            public_identity=crypto.b64u_encode(made.public_identity),
            auth_proof=crypto.b64u_encode(made.auth_proof),
            recovery_proof=crypto.b64u_encode(made.recovery_auth_proof),
            organisation_key=key_create,
        ),
    )
    await _pin_organisation_key(uow, organisation_id, person.id, made.identity)
    return made.identity, organisation_key


async def _pin_organisation_key(
    uow: UnitOfWork, organisation_id: uuid.UUID, person_id: uuid.UUID, identity: crypto.Identity
) -> None:
    """What her browser does at sign-up: the organisation key she compared with her invitation,
    pinned as confirmed in revision 1 of her record (without it her browser shares nothing)."""
    key = await TrustRepository(uow.session).organisation_key(organisation_id)
    if key is None:
        return
    entry = crypto.PinnedKey(crypto.FingerprintKind.ORGANISATION_KEY, str(organisation_id), key.ed25519_public, True)
    record = crypto.seal_pinned_keys(identity, 1, [entry])
    caller = Caller(person_id=person_id, organisation_id=organisation_id, session_id=None)
    await portfolio.put_pinned_keys(uow, caller, PinnedKeysWrite(revision=1, record=crypto.b64u_encode(record)))


async def _programme_key(
    uow: UnitOfWork,
    organisation_id: uuid.UUID,
    programme: Programme,
    keys: DemoKeys,
    admin_login: str,
) -> crypto.SigningKey | None:
    """The programme key, made by the admin's keyring and passed to the programme's staff."""
    repo = TrustRepository(uow.session)
    existing = await repo.programme_key(organisation_id, programme.id)
    admin = keys.identities.get(admin_login)
    if admin is None or keys.organisation_key is None:
        return None
    if existing is not None:
        copies = {c.holder_id: c for c in await repo.key_copies(organisation_id, programme.id)}
        mine = copies.get(uuid.UUID(admin.user_id))
        return crypto.SigningKey.open(mine.sealed_box, admin, existing.ed25519_public) if mine else None
    key = crypto.SigningKey.generate()
    certificate = keys.organisation_key.sign_record(
        crypto.ProgrammeKeyCertificate(key.public),
        organisation_id=str(organisation_id),
        programme_id=str(programme.id),
        serial=1,
        issued_at=int(utcnow().timestamp()),
        signed_by=admin.user_id,
    )
    uow.session.add(
        ProgrammeKey(
            programme_id=programme.id,
            organisation_id=organisation_id,
            ed25519_public=key.public,
            certificate=certificate,
            created_by=uuid.UUID(admin.user_id),
        )
    )
    holders = [admin] + [
        keys.identities[p.login]
        for p in PEOPLE
        if p.role is Role.staff and p.programme == programme.slug and p.login in keys.identities
    ]
    for holder in holders:
        uow.session.add(
            SigningKeyCopy(
                organisation_id=organisation_id,
                kind="programme",
                subject_id=programme.id,
                holder_id=uuid.UUID(holder.user_id),
                sealed_box=key.seal_for(holder.person),
                created_by=uuid.UUID(admin.user_id),
            )
        )
    await uow.flush()
    return key


async def load_people(
    uow: UnitOfWork,
    programmes: dict[str, Programme],
    report: DemoReport,
    hasher: SecretHasher,
) -> None:
    settings = Settings(env="development")
    client = accounts.Client(settings=settings, hasher=hasher, address="demo", user_agent=DEMO_USER_AGENT)
    organisation_id = next(iter(programmes.values())).organisation_id
    repo = AccountRepository(uow.session)
    keys = DemoKeys(identities={})
    created: set[str] = set()
    for spec in PEOPLE:
        if await repo.account_by_login(spec.login) is not None:
            report.skipped.append(f"person {spec.login}")
            continue
        programme = programmes[spec.programme] if spec.programme else None
        identity, organisation_key = await _sign_up(uow, client, organisation_id, spec, programme)
        keys.identities[spec.login] = identity
        keys.organisation_key = keys.organisation_key or organisation_key
        created.add(spec.login)
        report.created.append(f"person {spec.login} ({spec.role.value})")
        report.logins.append((spec.login, demo_password(spec.login), spec.role.value))
    if not created:
        return
    admin_login = PEOPLE[0].login
    if admin_login not in keys.identities:
        unlocked = await _unlock(uow, admin_login)
        if unlocked is not None:
            keys.identities[admin_login] = unlocked
            copy = next(iter(await TrustRepository(uow.session).key_copies(organisation_id, organisation_id)), None)
            org_key = await TrustRepository(uow.session).organisation_key(organisation_id)
            if copy is not None and org_key is not None and copy.holder_id == uuid.UUID(unlocked.user_id):
                keys.organisation_key = crypto.SigningKey.open(copy.sealed_box, unlocked, org_key.ed25519_public)
    for programme in programmes.values():
        programme_key = await _programme_key(uow, organisation_id, programme, keys, admin_login)
        if programme_key is None:
            continue
        await _signed_assignments(uow, organisation_id, programme, programme_key, keys, created)


async def _signed_assignments(
    uow: UnitOfWork,
    organisation_id: uuid.UUID,
    programme: Programme,
    programme_key: crypto.SigningKey,
    keys: DemoKeys,
    created: set[str],
) -> None:
    staff = next((p.login for p in PEOPLE if p.role is Role.staff and p.programme == programme.slug), None)
    for participant, coach in CASELOAD.items():
        spec = next(p for p in PEOPLE if p.login == participant)
        if spec.programme != programme.slug or participant not in created:
            continue
        her, coach_identity = keys.identities.get(participant), keys.identities.get(coach)
        if coach_identity is None:
            coach_identity = await _unlock(uow, coach)
        # Signed by the programme's staff member: a record the coach signed himself gives no access.
        signer = keys.identities.get(staff) if staff else None
        if signer is None and staff:
            signer = await _unlock(uow, staff)
        if her is None or coach_identity is None or signer is None:
            continue
        today = utcnow().date()
        signed_by = signer.user_id
        valid_from, valid_until = trust.assignment_validity(today, None)
        record = programme_key.sign_record(
            crypto.CoachAssignment(
                her.user_id,
                coach_identity.user_id,
                coach_identity.fingerprint,
                crypto.CoachRole.INDIVIDUAL,
                valid_from,
                valid_until,
            ),
            organisation_id=str(organisation_id),
            programme_id=str(programme.id),
            serial=1,
            issued_at=int(utcnow().timestamp()),
            signed_by=signed_by,
        )
        uow.session.add(
            CoachAssignment(
                organisation_id=organisation_id,
                programme_id=programme.id,
                participant_id=uuid.UUID(her.user_id),
                coach_id=uuid.UUID(coach_identity.user_id),
                kind="individual",
                starts_on=today,
                signed_record=crypto.b64u_encode(record),
                signed_by=uuid.UUID(signed_by),
                created_by=uuid.UUID(signed_by),
            )
        )
    await uow.flush()


# The peer coach (ervaringscoach) ------------------------------------------------------------
# A coach who is a studying mother herself: a coach membership with the peer-coach flag, her own
# login, and a coach assignment to Fatima signed with the programme key by the programme's staff,
# as a staff member's browser signs it. Added to a demo made before she existed, too.

PEER_COACHES = [
    DemoPerson("ervaringscoach.emmen", "Yasmina Ervaringscoach", Role.coach, "smart-mama-emmen", "individual"),
]
# Whom each peer coach coaches, next to her individual coach.
PEER_CASELOAD = {"ervaringscoach.emmen": "fatima"}


async def load_peer_coaches(
    uow: UnitOfWork, programmes: dict[str, Programme], report: DemoReport, hasher: SecretHasher
) -> None:
    settings = Settings(env="development")
    client = accounts.Client(settings=settings, hasher=hasher, address="demo", user_agent=DEMO_USER_AGENT)
    repo = AccountRepository(uow.session)
    for spec in PEER_COACHES:
        if await repo.account_by_login(spec.login) is not None:
            report.skipped.append(f"person {spec.login}")
            continue
        assert spec.programme is not None
        programme = programmes[spec.programme]
        identity, _ = await _sign_up(uow, client, programme.organisation_id, spec, programme)
        membership = await ProgrammeRepository(uow.session).find_membership(
            system_scope(programme.organisation_id, programme.id), uuid.UUID(identity.user_id), spec.role.value
        )
        assert membership is not None
        membership.peer_coach = True
        report.created.append(f"person {spec.login} (peer coach)")
        report.logins.append((spec.login, demo_password(spec.login), "coach (peer coach)"))
        participant = PEER_CASELOAD.get(spec.login)
        if participant is not None and await _sign_peer_assignment(uow, programme, identity, participant):
            report.created.append(f"signed assignment {spec.login} → {participant}")
    await uow.flush()


async def _sign_peer_assignment(
    uow: UnitOfWork, programme: Programme, coach: crypto.Identity, participant: str
) -> bool:
    """The record a staff member's browser signs: her copy of the programme key opens it."""
    repo = TrustRepository(uow.session)
    organisation_id = programme.organisation_id
    staff = next((p.login for p in PEOPLE if p.role is Role.staff and p.programme == programme.slug), None)
    signer = await _unlock(uow, staff) if staff else None
    her = await _unlock(uow, participant)
    programme_key_row = await repo.programme_key(organisation_id, programme.id)
    if signer is None or her is None or programme_key_row is None:
        return False
    copy = next(
        (c for c in await repo.key_copies(organisation_id, programme.id) if c.holder_id == uuid.UUID(signer.user_id)),
        None,
    )
    if copy is None:
        return False
    programme_key = crypto.SigningKey.open(copy.sealed_box, signer, programme_key_row.ed25519_public)
    today = utcnow().date()
    valid_from, valid_until = trust.assignment_validity(today, None)
    record = programme_key.sign_record(
        crypto.CoachAssignment(
            her.user_id, coach.user_id, coach.fingerprint, crypto.CoachRole.INDIVIDUAL, valid_from, valid_until
        ),
        organisation_id=str(organisation_id),
        programme_id=str(programme.id),
        serial=1,
        issued_at=int(utcnow().timestamp()),
        signed_by=signer.user_id,
    )
    uow.session.add(
        CoachAssignment(
            organisation_id=organisation_id,
            programme_id=programme.id,
            participant_id=uuid.UUID(her.user_id),
            coach_id=uuid.UUID(coach.user_id),
            kind="individual",
            starts_on=today,
            signed_record=crypto.b64u_encode(record),
            signed_by=uuid.UUID(signer.user_id),
            created_by=uuid.UUID(signer.user_id),
        )
    )
    return True


# Something for Fatima to do --------------------------------------------------------------------
# Her coach gives her the budget module's assignment (its lessons first), due in a few days, through
# the same service his "Opdracht geven" page uses, so her home shows it and she gets the notice.

DEMO_ASSIGNMENTS = [
    # (participant, coach, programme slug, module title, template key, due in days)
    ("fatima", "coach.emmen", "smart-mama-emmen", "Rondkomen: budgettraining", "opdrbudget", 3),
]


async def load_assignments(uow: UnitOfWork, programmes: dict[str, Programme], report: DemoReport) -> None:
    from eportfolio.assignments import service as assignments
    from eportfolio.assignments.tables import ModuleAssignment
    from eportfolio.domain.modules import AssignmentCreate
    from eportfolio.modules.tables import ModuleVersion

    repo = AccountRepository(uow.session)
    for participant, coach, slug, title, template_key, days in DEMO_ASSIGNMENTS:
        programme = programmes[slug]
        her, him = await repo.account_by_login(participant), await repo.account_by_login(coach)
        module_id = (
            await uow.session.execute(
                select(ModuleVersion.module_id).where(
                    ModuleVersion.programme_id == programme.id, ModuleVersion.title == title
                )
            )
        ).scalar_one_or_none()
        if her is None or him is None or module_id is None:
            continue
        given = await uow.session.execute(
            select(ModuleAssignment.id).where(
                ModuleAssignment.participant_id == her.person_id,
                ModuleAssignment.module_id == module_id,
                ModuleAssignment.template_key == template_key,
            )
        )
        if given.first() is not None:
            report.skipped.append(f"assignment {participant}: {title}")
            continue
        today = utcnow().astimezone(ZoneInfo(programme.time_zone)).date()
        caller = Caller(person_id=him.person_id, organisation_id=programme.organisation_id, session_id=None)
        await assignments.assign(
            uow,
            caller,
            programme.id,
            AssignmentCreate(
                module_id=module_id,
                template_key=template_key,
                participant_id=her.person_id,
                due_on=today + timedelta(days=days),
            ),
        )
        report.created.append(f"assignment {participant}: {title}")


# The logins, shown on every run -------------------------------------------------------------
# The demo's passwords follow from the login (``demo_password``) and the demo runs only in
# development, so `make run` can show them each time, not only when the people are made.


async def demo_logins(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str]]:
    """(login, password, role) of every demo person whose account exists."""
    peers = {spec.login for spec in PEER_COACHES}
    found: list[tuple[str, str, str]] = []
    async with unit_of_work(sessionmaker) as uow:
        repo = AccountRepository(uow.session)
        for spec in [*PEOPLE, *PEER_COACHES]:
            if await repo.account_by_login(spec.login) is None:
                continue
            role = "coach (peer coach)" if spec.login in peers else spec.role.value
            found.append((spec.login, demo_password(spec.login), role))
    return found


# The duty roster: coaches and a supervisor on duty in office hours --------------------------------
#
# Signed with the programme key by the programme's staff member, as her browser does on
# /manage/programmes/{id}/roster, and stored through the same check (``duty.service.create_roster``). A
# roster runs four weeks; every demo run makes a new one when less than a week is left.

ROSTER_DAYS = 28
ROSTER_RENEW = timedelta(days=7)
# Office hours on weekdays, in two blocks (local start hour, hours): the coaches, the peer coach
# among them, take turns (a different one starts each day), the supervisors too. Evenings, nights
# and weekends nobody is on duty, so the demo shows what she sees out of hours.
ROSTER_BLOCKS = ((9, 4), (13, 4))
ROSTER_WEEKDAYS = range(5)  # Monday to Friday


def _roster_shifts(
    first_day: date, coaches: list[uuid.UUID], supervisors: list[uuid.UUID]
) -> list[tuple[uuid.UUID, chat_domain.Duty, datetime, datetime]]:
    shifts = []
    for offset in range(ROSTER_DAYS):
        if (first_day + timedelta(days=offset)).weekday() not in ROSTER_WEEKDAYS:
            continue
        day = datetime.combine(first_day + timedelta(days=offset), time())
        for block, (start_hour, hours) in enumerate(ROSTER_BLOCKS):
            start = day + timedelta(hours=start_hour)
            end = start + timedelta(hours=hours)
            for duty, people in ((chat_domain.Duty.coach, coaches), (chat_domain.Duty.supervisor, supervisors)):
                if people:
                    shifts.append((people[(offset + block) % len(people)], duty, start, end))
    return shifts


async def _demo_programme_key(
    uow: UnitOfWork, organisation_id: uuid.UUID, programme: Programme, holder: crypto.Identity
) -> crypto.SigningKey | None:
    repo = TrustRepository(uow.session)
    key = await repo.programme_key(organisation_id, programme.id)
    if key is None:
        return None
    for copy in await repo.key_copies(organisation_id, programme.id):
        if copy.holder_id == uuid.UUID(holder.user_id):
            return crypto.SigningKey.open(copy.sealed_box, holder, key.ed25519_public)
    return None


async def load_rosters(uow: UnitOfWork, programmes: dict[str, Programme], report: DemoReport) -> None:
    for programme in programmes.values():
        scope = system_scope(programme.organisation_id, programme.id)
        duty_repo = DutyRepository(uow.session)
        if await duty_repo.roster_at(scope, utcnow() + ROSTER_RENEW) is not None:
            report.skipped.append(f"duty roster {programme.name}")
            continue
        staff = next((p.login for p in PEOPLE if p.role is Role.staff and p.programme == programme.slug), None)
        signer = await _unlock(uow, staff) if staff else None
        if signer is None:
            continue
        programme_key = await _demo_programme_key(uow, programme.organisation_id, programme, signer)
        if programme_key is None:
            continue
        accounts_repo = AccountRepository(uow.session)
        people: dict[str, uuid.UUID] = {}
        everyone = [*PEOPLE, *PEER_COACHES]
        for spec in everyone:
            if spec.programme == programme.slug and spec.role in (Role.coach, Role.supervisor):
                account = await accounts_repo.account_by_login(spec.login)
                if account is not None and account.public_identity:
                    people[spec.login] = account.person_id
        by_role = {
            role: [people[p.login] for p in everyone if p.role is role and p.login in people]
            for role in (Role.coach, Role.supervisor)
        }
        if not by_role[Role.coach] and not by_role[Role.supervisor]:
            continue
        zone = ZoneInfo(programme.time_zone)
        # From yesterday: last night's block covers the small hours of today.
        first_day = utcnow().astimezone(zone).date() - timedelta(days=1)
        shifts = _roster_shifts(first_day, by_role[Role.coach], by_role[Role.supervisor])
        identities = await duty_repo.public_identities(list(people.values()))
        fingerprints = {p: crypto.Person.from_public_identity(identities[p]).fingerprint for p in people.values()}

        def stamp(local: datetime, zone: ZoneInfo = zone) -> int:
            return int(local.replace(tzinfo=zone).timestamp())

        serial = await duty_repo.latest_roster_serial(scope) + 1
        record = programme_key.sign_record(
            crypto.DutyRoster(
                stamp(datetime.combine(first_day, time())),
                max(stamp(end) for _, _, _, end in shifts),
                tuple(
                    crypto.RosterEntry(
                        str(person), fingerprints[person], duty_service.DUTIES[duty], stamp(start), stamp(end)
                    )
                    for person, duty, start, end in shifts
                ),
            ),
            organisation_id=str(programme.organisation_id),
            programme_id=str(programme.id),
            serial=serial,
            issued_at=int(utcnow().timestamp()),
            signed_by=signer.user_id,
        )
        caller = Caller(person_id=uuid.UUID(signer.user_id), organisation_id=programme.organisation_id, session_id=None)
        await duty_service.create_roster(
            uow,
            caller,
            programme.id,
            chat_domain.RosterCreate(
                serial=serial,
                signed_record=crypto.b64u_encode(record),
                shifts=[
                    chat_domain.ShiftCreate(person_id=person, duty=duty, starts_at=start, ends_at=end)
                    for person, duty, start, end in shifts
                ],
            ),
        )
        report.created.append(f"duty roster {programme.name} ({ROSTER_DAYS} days)")


# A group with its trainer and mothers, its member list signed -----------------------------------
# As the staff member's browser does on the group page: the people go in, then the list of who is
# in it now is signed with the programme key and stored through the server's own check, so the
# group chat works in the demo without anyone comparing codes.

GROUP_MEMBERS = {
    "Budgettraining — taalniveau A2": {"trainer": ["coach.emmen"], "participant": ["fatima", "lisa"]},
}


async def load_group_members(uow: UnitOfWork, programmes: dict[str, Programme], report: DemoReport) -> None:
    accounts_repo = AccountRepository(uow.session)
    for programme in programmes.values():
        scope = system_scope(programme.organisation_id, programme.id)
        programme_repo = ProgrammeRepository(uow.session)
        for group_spec in GROUPS[programme.slug]:
            wanted = GROUP_MEMBERS.get(group_spec.name)
            group = await programme_repo.find_group_by_name(scope, group_spec.name)
            if wanted is None or group is None:
                continue
            if group.membership_serial:
                report.skipped.append(f"group members {group.name}")
                continue
            staff = next((p.login for p in PEOPLE if p.role is Role.staff and p.programme == programme.slug), None)
            signer = await _unlock(uow, staff) if staff else None
            programme_key = (
                await _demo_programme_key(uow, programme.organisation_id, programme, signer) if signer else None
            )
            if signer is None or programme_key is None:
                continue
            caller = Caller(
                person_id=uuid.UUID(signer.user_id), organisation_id=programme.organisation_id, session_id=None
            )
            entries = []
            for role, logins in wanted.items():
                for login in logins:
                    account = await accounts_repo.account_by_login(login)
                    if account is None or not account.public_identity:
                        continue
                    if await programme_repo.get_group_member(scope, group.id, account.person_id) is None:
                        await group_members.add_member(
                            uow, caller, programme.id, group.id, account.person_id, role=role
                        )
                    fingerprint = crypto.Person.from_public_identity(account.public_identity).fingerprint
                    entries.append(
                        crypto.GroupEntry(str(account.person_id), fingerprint, group_members.GROUP_ROLES[role])
                    )
            today = utcnow().astimezone(ZoneInfo(programme.time_zone)).date()
            record = programme_key.sign_record(
                crypto.GroupMembership(
                    str(group.id),
                    int(datetime.combine(today, time(), ZoneInfo(programme.time_zone)).timestamp()),
                    0,
                    tuple(entries),
                ),
                organisation_id=str(programme.organisation_id),
                programme_id=str(programme.id),
                serial=group.membership_serial + 1,
                issued_at=int(utcnow().timestamp()),
                signed_by=signer.user_id,
            )
            await group_members.sign_group(uow, caller, programme.id, group.id, crypto.b64u_encode(record))
            report.created.append(f"group members {group.name} (signed)")
