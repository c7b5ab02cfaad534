"""The demo's modules make sense: each assignment's lessons and questions fit its title, every
module has a lesson to read before its questions, and English is there where the programme offers it."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import demo
from eportfolio.kit.uow import unit_of_work
from eportfolio.modules.service import localise
from eportfolio.modules.tables import ModuleVersion
from eportfolio.programmes.tables import Programme


async def _load(app: FastAPI) -> demo.DemoReport:
    report = demo.DemoReport(created=[], skipped=[])
    async with unit_of_work(app.state.sessionmaker) as uow:
        programmes = await demo.load_organisation(uow, report)
        await demo.load_modules(uow, programmes, report)
    return report


async def test_demo_modules_are_coherent_and_start_with_a_lesson(app: FastAPI) -> None:
    await _load(app)
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (await uow.session.execute(select(ModuleVersion, Programme).join(Programme))).tuples().all()
    assert len(rows) == sum(len(specs) for specs in demo.DEMO_MODULES.values())
    by_template: dict[str, str] = {}
    for version, programme in rows:
        assert version.lessons, f"{version.title}: no lesson to read before the questions"
        assert all(lesson["body"].strip() for lesson in version.lessons)
        for language in [code for code in programme.languages if code == "en"]:
            shown = localise(version, language)
            dutch = localise(version, "nl")
            assert shown.title != dutch.title, f"{version.title}: no English title"
            for lesson, original in zip(shown.lessons, dutch.lessons, strict=True):
                assert lesson.title != original.title, f"{lesson.title}: no English title"
                assert lesson.html != original.html, f"{lesson.title}: no English text"
            for template, original_template in zip(shown.templates, dutch.templates, strict=True):
                assert template.title != original_template.title
                for question, original_question in zip(template.questions, original_template.questions, strict=True):
                    assert question.prompt != original_question.prompt, f"{question.prompt}: no English"
                    assert len(question.options) == len(original_question.options)
        for template in localise(version, "nl").templates:
            by_template[template.title] = " ".join(
                [
                    template.intro,
                    *(q.prompt for q in template.questions),
                    *(o for q in template.questions for o in q.options),
                ]
            ).lower()

    budget = by_template["Mijn maandbudget"]
    assert "werk" not in budget, "the monthly budget asks about money, not about work"
    assert "geld" in budget
    assert "werk" in by_template["Mijn werkwensen"]


async def test_loading_the_demo_modules_again_changes_nothing(app: FastAPI) -> None:
    first = await _load(app)
    assert [item for item in first.created if item.startswith("module ")]
    again = await _load(app)
    assert again.created == []
