"""The app factory: the one place where settings, database, middleware and features are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from eportfolio import jobs
from eportfolio.accounts import api as account_api
from eportfolio.accounts import pages as account_pages
from eportfolio.accounts.sessions import resolve_caller
from eportfolio.appointments import api as appointment_api
from eportfolio.appointments import pages as appointment_pages
from eportfolio.assignments import api as assignment_api
from eportfolio.assignments import pages as assignment_pages
from eportfolio.caseload import pages as caseload_pages
from eportfolio.caseload.service import navigation
from eportfolio.chat import api as chat_api
from eportfolio.chat import attachments_api as chat_attachments_api
from eportfolio.chat import pages as chat_pages
from eportfolio.chat import ws as chat_ws
from eportfolio.config import Settings, get_settings
from eportfolio.duty import api as duty_api
from eportfolio.duty import pages as duty_pages
from eportfolio.intake import api as intake_api
from eportfolio.intake import pages as intake_pages
from eportfolio.invitations import api as invitation_api
from eportfolio.invitations import pages as invitation_pages
from eportfolio.kit import health, metrics
from eportfolio.kit import logging as app_logging
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.errors import DomainError
from eportfolio.kit.events import EventBus
from eportfolio.kit.security import BodyLimitMiddleware, SecurityMiddleware
from eportfolio.kit.web import (
    STATIC_DIR,
    SecretInAddressMiddleware,
    handle_domain_error,
    handle_http_error,
    handle_unexpected,
    handle_validation_error,
)
from eportfolio.measurements import api as measurement_api
from eportfolio.measurements import instrument_pages
from eportfolio.measurements import pages as measurement_pages
from eportfolio.measurements.shipped import shipped as shipped_instruments
from eportfolio.modules import api as module_api
from eportfolio.modules import pages as module_pages
from eportfolio.notifications.vapid import with_development_keys
from eportfolio.portfolio import api as portfolio_api
from eportfolio.portfolio import pages as portfolio_pages
from eportfolio.programmes import api as programme_api
from eportfolio.programmes import pages as programme_pages
from eportfolio.recovery import api as recovery_api
from eportfolio.recovery import pages as recovery_pages
from eportfolio.trajectory import api as trajectory_api
from eportfolio.trajectory import pages as trajectory_pages
from eportfolio.trust import api as trust_api
from eportfolio.trust import pages as trust_pages
from eportfolio.workshops import api as workshop_api
from eportfolio.workshops import pages as workshop_pages


class ConfigurationError(RuntimeError):
    pass


class VersionedStaticFiles(StaticFiles):
    """Static files; URLs made by ``static_url`` carry a content hash and may be cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "public, max-age=300"
        return response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = with_development_keys(settings or get_settings())
    problems = settings.problems()
    if problems:
        raise ConfigurationError("; ".join(problems))
    app_logging.configure(settings.log_level)
    shipped_instruments()  # a malformed instrument file in a release stops the start, not a later request

    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with chat_ws.running(app), jobs.in_process(app):
            yield
        await engine.dispose()

    app = FastAPI(
        title="eportfolio",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs" if settings.env != "production" else None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.event_bus = EventBus()
    app.state.resolve_caller = resolve_caller
    app.state.navigation = navigation

    # The last added runs first: the security headers also go on a refused body's 413 and on
    # the 400 for a password in a web address.
    app.add_middleware(SecretInAddressMiddleware)
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_body_bytes)
    app.add_middleware(SecurityMiddleware, secure_cookies=settings.secure_cookies, hsts=settings.secure_cookies)
    app.add_middleware(metrics.MetricsMiddleware)  # outermost: its time includes every other layer

    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)

    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(account_pages.router)
    app.include_router(account_pages.no_script_router)
    app.include_router(invitation_pages.router)
    app.include_router(trust_pages.router)
    for router in account_api.routers:
        app.include_router(router)
    app.include_router(trust_api.router)
    for router in invitation_api.routers:
        app.include_router(router)
    app.include_router(programme_pages.router)
    app.include_router(programme_api.router)
    app.include_router(module_pages.router)
    app.include_router(module_api.router)
    app.include_router(assignment_pages.router)
    app.include_router(assignment_api.router)
    app.include_router(measurement_api.router)
    app.include_router(instrument_pages.router)
    app.include_router(measurement_pages.router)
    app.include_router(chat_api.router)
    app.include_router(chat_attachments_api.router)
    app.include_router(chat_pages.router)
    app.include_router(duty_api.router)
    app.include_router(duty_pages.router)
    app.include_router(portfolio_pages.router)
    app.include_router(caseload_pages.router)
    app.include_router(trajectory_api.router)
    app.include_router(trajectory_pages.router)
    app.include_router(appointment_api.router)
    app.include_router(appointment_pages.router)
    for router in portfolio_api.routers:
        app.include_router(router)
    app.include_router(intake_api.router)
    app.include_router(intake_pages.router)
    app.include_router(recovery_api.router)
    app.include_router(recovery_pages.router)
    app.include_router(workshop_api.router)
    app.include_router(workshop_pages.router)
    app.include_router(chat_ws.router)
    chat_ws.install(app)
    return app
