"""The web app (``pulse serve``): Starlette, server-rendered Jinja pages, light JavaScript.
Read-only: its only POSTs are sign-in and sign-out."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from clickhouse_connect.driver.exceptions import OperationalError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from services.revenue.influence import MODELS, Weights
from services.targeting import audiences, store
from services.warehouse import WarehouseBusy
from services.web import data, format
from services.web.auth import SESSION_SECONDS, Access, Revocations, Throttle, verify_password
from services.web.lag import LagMonitor
from streams.ingest.scoring import ScoringRules, default_rules
from streams.settings.revenue import RevenueSettings
from streams.stages.rules import STAGES, StageRules
from streams.stages.rules import load as load_stage_rules

log = logging.getLogger("pulse.web")
# What the world does to a query: no server, no holder, a cut connection, a timeout.
WAREHOUSE_UNREACHABLE = (OperationalError, ConnectionError, OSError, TimeoutError, WarehouseBusy)
HERE = Path(__file__).resolve().parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PUBLIC = ("/login", "/static/", "/healthz")


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(format.FILTERS)
    return env


class WebApp:
    def __init__(self, read: data.Reader, access: Access, lag: LagMonitor | None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 revoked: Revocations | None = None, rules: ScoringRules | None = None,
                 revenue: RevenueSettings | None = None,
                 stages: StageRules | None = None) -> None:
        self.read = read
        self.stages = stages or load_stage_rules()  # whose history the pages read
        self.rules = rules or default_rules()  # personas of named contacts
        self.revenue = revenue or RevenueSettings()
        r = self.revenue
        self.weights = Weights(r.influence_u_shaped, r.influence_w_shaped,
                               r.influence_half_life_days)
        self.access = access
        self.revoked = revoked or Revocations(None)
        self.lag = lag
        self.clock = clock
        self.env = templates()
        self.throttle = Throttle()

    def render(self, request: Request, name: str, status: int = 200,
               **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(
            request=request, user=request.scope.get("user", ""), access=self.access,
            csrf=csrf_token(request), path=request.url.path, **context)
        return HTMLResponse(html, status_code=status)

    async def accounts(self, request: Request) -> Response:
        p = request.query_params
        f = data.AccountFilters(q=p.get("q", "").strip()[:200], tier=p.get("tier", ""),
                                owner=p.get("owner", ""),
                                status=p.get("status", "") if p.get("status") in
                                ("surging", "cooling") else "",
                                customers=p.get("customers") == "1",
                                grade=p.get("grade", "")[:16],
                                stage=p.get("stage", "") if p.get("stage") in STAGES else "",
                                page=_page(p.get("page")))
        now = self.clock()
        version = self.stages.version
        listing = await run_in_threadpool(data.accounts_page, self.read, f, now.date(), version)
        owners, tiers = await run_in_threadpool(data.owners_and_tiers, self.read)
        matrix = await run_in_threadpool(data.fit_matrix, self.read, version)
        name = "accounts_rows.html" if p.get("partial") else "accounts.html"
        return self.render(request, name, f=f, listing=listing, owners=owners, tiers=tiers,
                           matrix=matrix, stages=list(reversed(STAGES)),
                           query=_query_without_page(p), live=_live_url(request))

    async def account(self, request: Request) -> Response:
        account_id = request.path_params["account_id"]
        view = await run_in_threadpool(data.account_page, self.read, account_id, self.clock(),
                                       self.rules, self.revenue.influence_lookback_days,
                                       self.weights)
        if view is None:
            return self.render(request, "not_found.html", status=404, account_id=account_id)
        return self.render(request, "account.html", v=view, a=view.account)

    async def alerts(self, request: Request) -> Response:
        p = request.query_params
        kinds = ("surge", "spike", "cooling", "escalation", "mqa")
        f = data.AlertFilters(kind=p.get("kind", "") if p.get("kind") in kinds else "",
                              tier=p.get("tier", ""), owner=p.get("owner", ""),
                              page=_page(p.get("page")))
        listing = await run_in_threadpool(data.alerts_page, self.read, f, self.rules)
        owners, tiers = await run_in_threadpool(data.owners_and_tiers, self.read)
        name = "alerts_rows.html" if p.get("partial") else "alerts.html"
        return self.render(request, name, f=f, listing=listing, owners=owners, tiers=tiers,
                           kinds=kinds, query=_query_without_page(p), live=_live_url(request))

    async def program(self, request: Request) -> Response:
        view = await run_in_threadpool(data.program_page, self.read, self.stages.version,
                                       self.clock())
        matrix = await run_in_threadpool(data.fit_matrix, self.read, self.stages.version)
        return self.render(request, "program.html", v=view, grades=matrix.grades,
                           stages=list(reversed(STAGES)))

    async def audience(self, request: Request) -> Response:
        """The same files as `pulse audience export` (control accounts never in them), as
        a download; ``part`` picks the file of a list over 300,000 accounts."""
        p = request.query_params
        fmt = p.get("format", "linkedin") if p.get("format") in audiences.FORMATS else "linkedin"
        stages = [s for s in p.getlist("stage") if s in STAGES]
        grades = [g[:16] for g in p.getlist("grade") if g]
        accounts = await run_in_threadpool(
            store.audience_accounts, lambda sql, params: [tuple(r.values()) for r in
                                                          self.read(sql, params)],
            self.stages.version, stages, grades, p.get("surging") == "1")
        parts = audiences.files(accounts, fmt)
        part = min(_page(p.get("part")), len(parts))
        name = re.sub(r"[^A-Za-z0-9_.-]", "-", p.get("name", "") or "audience")[:100]
        suffix = f"-{part}" if part > 1 else ""
        return Response(parts[part - 1], media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}{suffix}.csv"',
            "X-Audience-Accounts": str(len(accounts)), "X-Audience-Files": str(len(parts))})

    async def pipeline(self, request: Request) -> Response:
        p = request.query_params
        model = p.get("model", "w_shaped")
        model = model if model in MODELS else "w_shaped"
        days = _page(p.get("days")) if p.get("days") != "0" else 0
        days = days if days in data.PIPELINE_PERIODS else 90
        view = await run_in_threadpool(
            data.pipeline_page, self.read, model, days, self.clock(),
            self.revenue.influence_lookback_days, self.revenue.backtest_horizon_days,
            self.weights)
        return self.render(request, "pipeline.html", v=view, models=MODELS,
                           periods=data.PIPELINE_PERIODS)

    async def ops(self, request: Request) -> Response:
        view = await run_in_threadpool(data.ops_page, self.read, self.clock())
        lag = self.lag.reading() if self.lag is not None else None
        return self.render(request, "ops.html", v=view, lag=lag)

    async def login(self, request: Request) -> Response:
        if self.access.open or self.access.header:
            return RedirectResponse("/", status_code=303)
        error = ""
        target = _safe_next(request.query_params.get("next", "/"))
        if request.method == "POST":
            form = await request.form()
            target = _safe_next(str(form.get("next", "/")))
            sent = str(form.get("csrf", ""))
            if not sent or not hmac.compare_digest(sent, csrf_token(request)):
                return PlainTextResponse("sign-in form expired: reload the page", 400)
            name, password = str(form.get("username", ""))[:200], str(form.get("password", ""))
            if self.throttle.blocked(name, time.monotonic()):
                return self.render(request, "login.html", status=429, next=target,
                                   error="Too many failed sign-ins: try again in 15 minutes.")
            stored = self.access.users.get(name)
            ok = await run_in_threadpool(verify_password, password,
                                         stored or _DUMMY_HASH) and stored is not None
            if ok:
                self.throttle.succeeded(name)
                request.session.clear()
                request.session["user"] = name
                request.session["sid"] = secrets.token_urlsafe(18)  # what sign-out revokes
                request.session["csrf"] = secrets.token_urlsafe(24)
                return RedirectResponse(target, status_code=303)
            self.throttle.failed(name, time.monotonic())
            log.warning("sign-in refused", extra={"user": name[:100]})
            error = "Wrong user name or password."
        return self.render(request, "login.html", status=401 if error else 200, error=error,
                           next=target)

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        if hmac.compare_digest(str(form.get("csrf", "")), csrf_token(request)):
            if sid := request.session.get("sid"):
                self.revoked.revoke(str(sid), time.time())
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def healthz(self, request: Request) -> Response:
        """Ready: the warehouse answers a query (pages cannot be shown otherwise)."""
        try:
            await run_in_threadpool(self.read, "SELECT 1 AS ok", {})
        except WAREHOUSE_UNREACHABLE as err:
            log.warning("health check: the warehouse does not answer",
                        extra={"error": f"{type(err).__name__}: {err}"[:300]})
            return PlainTextResponse("warehouse not reachable", status_code=503)
        return PlainTextResponse("ok")


_DUMMY_HASH = ("scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def _page(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def _query_without_page(params: Any) -> str:
    return urlencode([(k, v) for k, v in params.multi_items() if k not in ("page", "partial")])


def _live_url(request: Request) -> str:
    q = _query_without_page(request.query_params)
    page = request.query_params.get("page")
    extra = f"&page={quote(page)}" if page else ""
    return f"{request.url.path}?{q}{'&' if q else ''}partial=1{extra}"


def _safe_next(target: str) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect after sign-in."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _gate(access: Access, revoked: Revocations) -> Callable[..., Any]:
    class Gate:
        """Signed-in users only (unless the app is open); security headers on every answer;
        server time of each request logged at debug."""

        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            started = time.perf_counter()

            async def send_with_headers(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers += [(k.lower().encode(), v.encode())
                                for k, v in SECURITY_HEADERS.items()]
                    if access.secure_cookies:
                        headers.append((b"strict-transport-security", b"max-age=31536000"))
                    ms = (time.perf_counter() - started) * 1000
                    headers.append((b"server-timing", f"app;dur={ms:.1f}".encode()))
                    message["headers"] = headers
                await send(message)

            path = scope["path"]
            if not access.open and not path.startswith(PUBLIC):
                user = _user(scope, access, revoked)
                if not user:
                    if access.header:
                        response: Response = PlainTextResponse(
                            "sign-in required (through the SSO proxy)", 401)
                    else:
                        target = path + (f"?{scope['query_string'].decode()}"
                                         if scope.get("query_string") else "")
                        response = RedirectResponse(f"/login?next={quote(target)}", 303)
                    await response(scope, receive, send_with_headers)
                    return
                scope["user"] = user
            await self.app(scope, receive, send_with_headers)

    return Gate


def _user(scope: dict[str, Any], access: Access, revoked: Revocations) -> str:
    if access.header:
        wanted = access.header.lower().encode()
        for k, v in scope.get("headers", []):
            if k == wanted and v.strip():
                return str(v.decode("latin-1").strip())
        return ""
    session = scope.get("session", {})
    sid = session.get("sid")
    if not sid or revoked.revoked(str(sid)):  # signed out (this copy of the cookie or another)
        return ""
    return str(session.get("user", ""))


def create_app(read: data.Reader, access: Access, secret: str, lag: LagMonitor | None = None,
               clock: Callable[[], datetime] | None = None,
               revoked: Revocations | None = None,
               rules: ScoringRules | None = None,
               revenue: RevenueSettings | None = None,
               stages: StageRules | None = None) -> Starlette:
    web = WebApp(read, access, lag, clock or (lambda: datetime.now(UTC)), revoked, rules,
                 revenue, stages)
    routes = [
        Route("/", web.accounts),
        Route("/accounts/{account_id:path}", web.account),
        Route("/alerts", web.alerts),
        Route("/pipeline", web.pipeline),
        Route("/program", web.program),
        Route("/audiences.csv", web.audience),
        Route("/ops", web.ops),
        Route("/login", web.login, methods=["GET", "POST"]),
        Route("/logout", web.logout, methods=["POST"]),
        Route("/healthz", web.healthz),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [  # outermost first: the gate reads the session
        Middleware(SessionMiddleware, secret_key=secret, session_cookie="pulse_session",
                   max_age=SESSION_SECONDS, same_site="strict", https_only=access.secure_cookies),
        Middleware(_gate(access, web.revoked)),
    ]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={404: _not_found})


async def _not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("not found", 404)

