"""The studio's ASGI app (FastAPI) and its server (uvicorn).

:func:`create_app` builds the app over a run's output folder; :func:`serve` runs it. Every
asset is served from the installed package (``polyslot/studio/static`` and plotly's own
``plotly.min.js``): the studio works offline. Errors never show a traceback: unknown pages are
404, anything unexpected is a one-line 500.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from polyslot.studio.routes import BadRequest, router
from polyslot.studio.run_data import StudioRun
from polyslot.studio.security import TokenGate, check_binding, is_loopback
from polyslot.studio.state import StudioState
from polyslot.studio.views import fmt

__all__ = ["create_app", "serve", "static_file"]

log = logging.getLogger("polyslot.studio")
_STATIC = {
    "htmx.min.js": "application/javascript",
    "studio.js": "application/javascript",
    "studio.css": "text/css",
    "plotly.min.js": "application/javascript",
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def static_file(name: str) -> bytes:
    """Bytes of a vendored asset (plotly.min.js comes from the plotly package)."""
    if name == "plotly.min.js":
        return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
    return resources.files("polyslot.studio").joinpath("static", name).read_bytes()


def create_app(
    out_dir: str | Path,
    *,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
):
    """The studio over ``out_dir`` (a finished ``polyslot run``).

    Parameters
    ----------
    out_dir : path
        The run's output folder.
    token : str, optional
        Access token; every request without it gets 401.
    allowed_hosts : list of str, optional
        ``Host`` names accepted (None: any). :func:`serve` passes the loopback names when it
        binds a loopback address without a token.
    """
    run = StudioRun(out_dir)
    app = FastAPI(title="polyslot studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.studio = StudioState(run)
    templates = Jinja2Templates(directory=str(resources.files("polyslot.studio") / "templates"))
    templates.env.filters["num"] = fmt
    app.state.templates = templates
    app.include_router(router)
    cache: dict[str, bytes] = {}

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in _STATIC:
            return PlainTextResponse("not found\n", status_code=404)
        if name not in cache:
            cache[name] = static_file(name)
        return Response(
            cache[name], media_type=_STATIC[name], headers={"Cache-Control": "max-age=3600"}
        )

    @app.exception_handler(KeyError)
    async def not_found(request: Request, exc: KeyError) -> Response:
        return PlainTextResponse(f"not found: {exc.args[0] if exc.args else ''}\n", 404)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> Response:
        return PlainTextResponse(f"{exc.field} = {exc.value}: {exc.message}\n", 422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.error("studio error on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        return PlainTextResponse("internal error (the server keeps running)\n", 500)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return TokenGate(app, token, allowed_hosts) if (token or allowed_hosts) else app


def serve(
    out_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    token: str | None = None,
) -> None:
    """Run the studio with uvicorn until interrupted (refuses a public host without token)."""
    import uvicorn

    check_binding(host, token)
    hosts = None
    if is_loopback(host) and not token:
        hosts = ["127.0.0.1", "localhost", "[::1]", "::1"]
    app = create_app(out_dir, token=token, allowed_hosts=hosts)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
