"""``GET /healthz``: whether ingest, the writer and the live feed still turn. No sign-in: the compose healthcheck
and a supervisor read it, and it says nothing about any greenhouse."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.health import HealthReport, Watched, report

UNAVAILABLE = 503


def health_router(pulses: tuple[Watched, ...]) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/healthz",
        response_model=HealthReport,
        responses={UNAVAILABLE: {"model": HealthReport, "description": "a loop has stopped or stalled"}},
        summary="Whether the gateway's loops still run (503 names the one that does not)",
    )
    def healthz() -> JSONResponse:
        found = report(pulses)
        return JSONResponse(found.model_dump(), status_code=200 if found.ok else UNAVAILABLE)

    return router
