"""JSON routes of the modules feature under /api/v1: authoring, publishing and viewing modules."""

from __future__ import annotations

import uuid

from eportfolio.domain.modules import (
    LessonCreate,
    LessonRead,
    LessonUpdate,
    LocalisedModule,
    ModuleCopy,
    ModuleCreate,
    ModuleRead,
    ModuleUpdate,
    ModuleVersionRead,
    QuestionCreate,
    QuestionRead,
    QuestionUpdate,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
    TranslationUpdate,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.modules import service

router = api_router("", "modules")

P = "/programmes/{programme_id}"
M = P + "/modules/{module_id}"


# Authoring (staff) ---------------------------------------------------------------------------


@router.get(P + "/modules")
async def list_modules(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[ModuleRead]:
    return await service.list_modules(uow, caller, programme_id)


@router.post(P + "/modules", status_code=201)
async def create_module(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ModuleCreate) -> ModuleRead:
    return await service.create_module(uow, caller, programme_id, data)


@router.get(M)
async def get_module(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    return await service.get_module(uow, caller, programme_id, module_id)


@router.patch(M)
async def update_module(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, data: ModuleUpdate
) -> ModuleRead:
    return await service.update_module(uow, caller, programme_id, module_id, data)


@router.get(M + "/versions")
async def list_versions(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> list[ModuleVersionRead]:
    return await service.list_versions(uow, caller, programme_id, module_id)


@router.post(M + "/lessons", status_code=201)
async def add_lesson(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, data: LessonCreate
) -> LessonRead:
    return await service.add_lesson(uow, caller, programme_id, module_id, data)


@router.patch(M + "/lessons/{key}")
async def update_lesson(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str, data: LessonUpdate
) -> LessonRead:
    return await service.update_lesson(uow, caller, programme_id, module_id, key, data)


@router.delete(M + "/lessons/{key}", status_code=204)
async def delete_lesson(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> None:
    await service.delete_lesson(uow, caller, programme_id, module_id, key)


@router.post(M + "/templates", status_code=201)
async def add_template(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, data: TemplateCreate
) -> TemplateRead:
    return await service.add_template(uow, caller, programme_id, module_id, data)


@router.patch(M + "/templates/{key}")
async def update_template(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str, data: TemplateUpdate
) -> TemplateRead:
    return await service.update_template(uow, caller, programme_id, module_id, key, data)


@router.delete(M + "/templates/{key}", status_code=204)
async def delete_template(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> None:
    await service.delete_template(uow, caller, programme_id, module_id, key)


@router.post(M + "/templates/{template_key}/questions", status_code=201)
async def add_question(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    template_key: str,
    data: QuestionCreate,
) -> QuestionRead:
    return await service.add_question(uow, caller, programme_id, module_id, template_key, data)


@router.patch(M + "/templates/{template_key}/questions/{key}")
async def update_question(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    template_key: str,
    key: str,
    data: QuestionUpdate,
) -> QuestionRead:
    return await service.update_question(uow, caller, programme_id, module_id, template_key, key, data)


@router.delete(M + "/templates/{template_key}/questions/{key}", status_code=204)
async def delete_question(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, template_key: str, key: str
) -> None:
    await service.delete_question(uow, caller, programme_id, module_id, template_key, key)


@router.put(M + "/translations")
async def set_translation(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, data: TranslationUpdate
) -> ModuleRead:
    return await service.set_translation(uow, caller, programme_id, module_id, data)


@router.post(M + "/publish")
async def publish_module(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    return await service.publish_module(uow, caller, programme_id, module_id)


@router.post(M + "/archive")
async def archive_module(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    return await service.archive_module(uow, caller, programme_id, module_id)


@router.post(M + "/restore")
async def restore_module(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    return await service.restore_module(uow, caller, programme_id, module_id)


@router.post(M + "/copy", status_code=201)
async def copy_module(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, data: ModuleCopy
) -> ModuleRead:
    return await service.copy_module(uow, caller, programme_id, module_id, data)


@router.get(M + "/preview")
async def preview_module(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, lang: str | None = None
) -> LocalisedModule:
    return await service.preview_module(uow, caller, programme_id, module_id, lang)


@router.get(M + "/view")
async def view_module(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, lang: str | None = None
) -> LocalisedModule:
    return await service.view_module(uow, caller, programme_id, module_id, lang)
