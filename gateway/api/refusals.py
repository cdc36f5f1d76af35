"""A request FastAPI cannot read (a missing field, a password too short, a number out of range) is refused with
each problem at its place and in the caller's language, as the technician's files are: not pydantic's English."""

from __future__ import annotations

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from contract.validation_words import describe
from gateway.api.auth import request_lang

UNPROCESSABLE = 422


async def refuse_in_callers_words(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # registered for it alone
    lang = request_lang(request)
    detail = [
        {
            "loc": list(err["loc"]),
            "msg": "; ".join(words.pick(lang) for words, _ in describe(err)),
            "type": err["type"],
        }
        for err in exc.errors()
    ]
    return JSONResponse(jsonable_encoder({"detail": detail}), status_code=UNPROCESSABLE)
