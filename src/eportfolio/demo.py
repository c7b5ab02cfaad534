"""The demo organisation: one organisation, two programmes in two municipalities, and groups.

Idempotent: every step looks for what it would make and skips it when it is there.
Refuses to run outside development, because demo people have known passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.domain.programmes import GroupCreate, LanguageLevel, ProgrammeCreate, ProgrammeSettings
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from eportfolio.programmes.repository import ProgrammeRepository, ProgrammeScope
from eportfolio.programmes.service import ensure_organisation
from eportfolio.programmes.tables import Group, Programme

ORGANISATION_NAME = "Stichting Sterke Moeders (demo)"

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
                "Bedankt voor je bericht. Een coach leest het zo snel mogelijk. "
                "Thanks for your message; a coach will read it as soon as possible."
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
            out_of_hours_reply="Danki pa bo mensahe. Bedankt voor je bericht; een coach reageert zo snel mogelijk.",
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
        scope = ProgrammeScope(organisation.id, programme.id)
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
        await load_organisation(uow, report)
    return report
