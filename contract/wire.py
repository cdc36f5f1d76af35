"""Reading a peer's bytes as a contract message: the one way every consumer decodes what arrives.

pydantic's own parser (jiter) in strict mode does all of it in one pass, before any Python object is built:
UTF-8 only (UTF-16, broken bytes and lone surrogates are refused), nesting bounded by its recursion limit (a
``[[[[…`` payload is an error, not a crash), no coercion (``"5"`` is not a number, ``true`` is not a value), no NaN or
infinity. Nothing here raises, whatever the bytes: a peer's message becomes a model or a ``WireError`` that says
what is wrong and where.

A compact payload (``contract.compact``: a version byte, then a deflate stream) is inflated here first, never to
more than ``max_bytes``, and its JSON read exactly as above: a consumer decodes either form by the same call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from contract.compact import inflate, is_compact

M = TypeVar("M", bound=BaseModel)


class WireProblem(StrEnum):
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"  # includes text that is not UTF-8, and lone surrogates
    TOO_DEEP = "too_deep"
    NON_FINITE = "non_finite"
    INVALID = "invalid"  # JSON, but not the contract's message


@dataclass(frozen=True)
class WireError:
    problem: WireProblem
    detail: str
    field: str | None = None  # the dotted path of the first field at fault, for INVALID and NON_FINITE


def decode(model: type[M], payload: bytes, max_bytes: int) -> M | WireError:
    """``payload`` as ``model``, or why it is not one."""
    if len(payload) > max_bytes:
        return WireError(WireProblem.TOO_LARGE, f"{len(payload)} bytes > {max_bytes}")
    if is_compact(payload):
        text = inflate(payload, max_bytes)
        if not isinstance(text, bytes):
            return WireError(WireProblem.TOO_LARGE if text.too_large else WireProblem.NOT_JSON, text.detail)
        payload = text
    try:
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        return _why(exc)


def _why(exc: ValidationError) -> WireError:
    err = exc.errors(include_url=False, include_input=False)[0]
    if err["type"] == "json_invalid":
        # jiter's message names the line and column; its recursion limit is what bounds nesting.
        problem = WireProblem.TOO_DEEP if "recursion limit" in err["msg"] else WireProblem.NOT_JSON
        return WireError(problem, err["msg"])
    field = ".".join(str(p) for p in err["loc"]) or "payload"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    problem = WireProblem.NON_FINITE if err["type"] == "finite_number" else WireProblem.INVALID
    return WireError(problem, f"{field}: {err['msg']}{more}", field)
