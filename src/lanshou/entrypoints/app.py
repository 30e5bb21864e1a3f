"""The ASGI application: pages, the JSON API under ``/api/v1``, static files and offline docs."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from lanshou import __version__
from lanshou.bootstrap import Runtime, bootstrap
from lanshou.entrypoints.api.errors import install_error_handlers
from lanshou.entrypoints.api.router import API_PREFIX, build_api_router
from lanshou.entrypoints.head_requests import HeadAsGet
from lanshou.entrypoints.security_headers import SecurityHeaders, allow_inline_scripts
from lanshou.entrypoints.web.rendering import STATIC_DIR, render_error
from lanshou.entrypoints.web.router import build_web_router
from lanshou.settings import get_settings

OPENAPI_URL = f"{API_PREFIX}/openapi.json"
SWAGGER = "/static/vendor/swagger-ui"


def create_app(runtime: Runtime) -> FastAPI:
    """Build the app around an already bootstrapped runtime (settings, database, clock)."""
    app = FastAPI(
        title="lanshou 揽收 API",
        version=__version__,
        description="Orders, shipments and tracking for pickup-deadline monitoring. "
        "Authenticate with `POST /api/v1/auth/token`, then send `Authorization: Bearer …`.",
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    app.state.runtime = runtime
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(build_api_router(), prefix=API_PREFIX)
    app.include_router(build_web_router())
    install_error_handlers(app, render_error)
    _add_docs(app)
    app.add_middleware(SecurityHeaders, hsts=not runtime.settings.is_dev)
    app.add_middleware(HeadAsGet)
    return app


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process of ``lanshou serve --workers N``: each process
    builds its own runtime (engine, pool) from the environment. The parent has migrated."""
    return create_app(bootstrap(get_settings(), migrate=False))


def _add_docs(app: FastAPI) -> None:
    """Swagger UI from vendored files: the docs work without internet access."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return allow_inline_scripts(
            get_swagger_ui_html(
                openapi_url=OPENAPI_URL,
                title="lanshou 揽收 API",
                swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
                oauth2_redirect_url="/docs/oauth2-redirect",
            )
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> Response:
        return allow_inline_scripts(get_swagger_ui_oauth2_redirect_html())
