"""The one error every refusal of the crypto library raises, and the guard that enforces it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class CryptoError(Exception):
    """Refused: bad input, failed authentication or a broken rule. Never says which."""

    def __init__(self) -> None:
        super().__init__("refused")


def refuse() -> CryptoError:
    """Return the error to raise; a function so call sites read `raise refuse()`."""
    return CryptoError()


def refusing(function: Callable[P, R]) -> Callable[P, R]:
    """Turn any exception escaping a public function into a bare CryptoError.

    Primitives raise ValueError, TypeError, InvalidTag and friends with messages that could tell an
    attacker which check failed; callers see only CryptoError, without a chained cause.
    """

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except CryptoError:
            raise CryptoError() from None
        except Exception:
            raise CryptoError() from None

    return guarded
