"""``GET /health``: is the process up and does the database answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lanshou import __version__
from lanshou.entrypoints.api.deps import RuntimeDep
from lanshou.entrypoints.api.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "database unavailable"}},
)
def health(runtime: RuntimeDep) -> HealthPublic | JSONResponse:
    """Liveness and database check, for load balancers and monitoring."""
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        body = HealthPublic(status="degraded", database="unavailable", version=__version__)
        return JSONResponse(body.model_dump(), status_code=503)
    return HealthPublic(status="ok", database="ok", version=__version__)
