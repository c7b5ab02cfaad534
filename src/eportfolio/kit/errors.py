"""Domain errors: each carries an HTTP status and a message a person can act on.

Services raise these; one handler (see ``kit.web``) turns them into a page or JSON.
Messages are translatable: they are marked with ``N_`` here and translated when shown.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, in the person's language."""
    return message


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    default_message = N_("This request could not be handled.")

    def __init__(
        self,
        message: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        retry_after: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.params = params or {}
        self.retry_after = retry_after
        self.field = field
        super().__init__(self.message)


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"
    default_message = N_("Some of what you entered is not right. Please check it.")


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"
    default_message = N_("Please log in first.")


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
    default_message = N_("You are not allowed to do this.")


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = N_("We could not find this. It may have been removed, or the link is wrong.")


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = N_("This was changed by someone else in the meantime. Please reload and try again.")


class Gone(DomainError):
    status_code = 410
    code = "gone"
    default_message = N_("This is no longer valid.")


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "too_large"
    default_message = N_("What you sent is too large.")


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"
    default_message = N_("Too many attempts. Please wait a moment and try again.")


class CsrfFailed(DomainError):
    status_code = 403
    code = "csrf"
    default_message = N_(
        "This form has expired or did not come from this site. Go back, reload the page and try again."
    )
