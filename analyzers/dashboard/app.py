"""`trade dashboard`: a local web app over a journal (and, live, the venue).

Routes: ``/`` the page (server-rendered; ``/static/dashboard.js`` refreshes its live part from
``/fragment`` every ``dashboard.refresh_seconds``); ``/api/status`` the whole document as JSON,
``/api/positions``, ``/api/orders``, ``/api/fills``, ``/api/execution``, ``/api/halt`` (GET) its
parts; ``POST /api/halt``, ``/api/resume``, ``/api/flatten`` the operator's actions.

An action needs ``Authorization: Bearer TOKEN``: none is 401, a wrong one 403, a read-only run
folder 403, a flatten without ``{"confirm": "flatten"}`` 400 — and each refusal changes nothing.
The token is compared in constant time and never logged. Every request must address an allowed
host name (loopback's, the bound interface's, `trade dashboard --allow-host`), wherever the server
listens: a web page elsewhere cannot read the account through DNS rebinding. On loopback reads need
no token; off loopback every request needs it (``Authorization: Bearer``, or the page opened once
with ``?token=``, kept in an HttpOnly same-site cookie).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web

from analyzers import units
from analyzers.dashboard.reader import JournalReader
from analyzers.dashboard.status import StatusInputs, build_status
from analyzers.dashboard.svg import Reference, line_chart
from framework.config.settings import Settings
from framework.errors import InputError
from framework.live.snapshot import ActionOutcome, LiveSnapshot, LiveSource, VenueInfo
from framework.serving import BackgroundServer
from framework.venue_time import human

log = logging.getLogger("trade.dashboard")
DASHBOARD = web.AppKey("dashboard", object)
BOUND = web.AppKey("bound_host", str)
REFRESHER = web.AppKey("refresher", asyncio.Task)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ACTIONS = ("halt", "resume", "flatten")


@dataclass(frozen=True)
class DashboardSettings:
    """What the page needs of the settings; :meth:`of` reads them (``dashboard.*`` and the risk
    limits have their one definition and default in the config models)."""

    refresh_seconds: float
    broker_refresh_seconds: float
    rolling_sessions: int
    recent_fills: int
    daily_loss_limit: float
    max_drawdown: float

    @classmethod
    def of(cls, settings: Settings, risk: Mapping[str, Any] | None = None) -> DashboardSettings:
        """From ``settings``; ``risk``: a run's own recorded ``risk`` section, which wins (a run
        folder is shown with the limits it ran under)."""
        ran = {k: (risk or {})[k] for k in ("daily_loss_limit", "max_drawdown") if k in (risk or {})}
        cfg, limits = settings.dashboard, settings.risk.model_copy(update=ran)
        return cls(refresh_seconds=cfg.refresh_seconds, broker_refresh_seconds=cfg.broker_refresh_seconds,
                   rolling_sessions=cfg.rolling_sessions, recent_fills=cfg.recent_fills,
                   daily_loss_limit=float(limits.daily_loss_limit), max_drawdown=float(limits.max_drawdown))


# -- formatting (the page's filters) -----------------------------------------------------------


def _signed(text: str, value: object, signed: bool) -> str:
    return f"+{text}" if signed and units.finite(value) and value > 0 else text  # type: ignore[operator]


def _usd(value: object, digits: int = 0, signed: bool = False) -> str:
    return _signed(units.usd(value, digits), value, signed)


def _pct(value: object, digits: int = 2, signed: bool = False) -> str:
    return _signed(units.pct(value, digits), value, signed)


def _qty(value: object) -> str:
    if not units.finite(value):
        return units.NA
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0")  # type: ignore[arg-type]


def _when(value: object) -> str:
    if value is None or value == "":
        return units.NA
    try:
        return human(str(value))
    except ValueError:
        return str(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("analyzers.dashboard", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    env.filters.update(usd=_usd, pct=_pct, bps=units.bps, qty=_qty, when=_when, duration=units.duration)
    return env


# -- the dashboard's state -----------------------------------------------------------------------


class Dashboard:
    """The journal reader, the live source, the cached document, the token."""

    def __init__(self, reader: JournalReader, *, settings: DashboardSettings, sectors: Mapping[str, str],
                 venue: VenueInfo, live: LiveSource | None = None, token: str | None = None,
                 source: str = "") -> None:
        self.reader, self.settings, self.sectors = reader, settings, dict(sectors)
        self.venue, self.live, self.token = venue, live, token
        self.source = source or str(reader.path)
        self.samples: deque[tuple[datetime, float]] = deque(maxlen=5000)
        self._cache: tuple[Any, dict[str, Any]] | None = None
        self._last_snapshot: LiveSnapshot | None = None
        self._pages: dict[str, tuple[dict[str, Any], str]] = {}
        self._lock = threading.Lock()
        self.env = environment()

    @property
    def mode(self) -> str:
        return "live" if self.live is not None else "run"

    def _snapshot(self) -> LiveSnapshot | None:
        if self.live is None:
            return None
        snap = self.live.snapshot() or self.live.refresh()  # the first page waits for the first read
        if snap is not None and snap is not self._last_snapshot:
            self._last_snapshot = snap
            if not snap.error:
                self.samples.append((snap.time, snap.equity))
        return snap

    def status(self) -> dict[str, Any]:
        with self._lock:
            snap = self._snapshot()
            key = (self.reader.version(), id(snap), len(self.samples))
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
            s = self.settings
            found = build_status(StatusInputs(
                tables=self.reader.read(), live=snap, venue=self.venue, daily_loss_limit=s.daily_loss_limit,
                max_drawdown=s.max_drawdown, sectors=self.sectors, mode=self.mode, source=self.source,
                rolling_sessions=s.rolling_sessions, recent_fills=s.recent_fills, samples=tuple(self.samples)))
            self._cache = (key, found)
            return found

    def charts(self, s: Mapping[str, Any]) -> dict[str, str]:
        curves, loss = s["curves"], s["loss"]
        refs = []
        if loss.get("baseline"):
            refs = [Reference(loss["baseline"], "last close", "base"),
                    Reference(loss["baseline"] * (1 - loss["limit"]), "loss limit", "limit")]
        today = line_chart("chart-today", curves["today"], title="Equity today", references=refs)
        since = line_chart("chart-since", curves["since_start"], title="Equity since start")
        return {"today": today, "since": since}

    def render(self, template: str) -> str:
        """The page or its live part; rendered again only when the document changed."""
        s = self.status()
        cached = self._pages.get(template)
        if cached is not None and cached[0] is s:
            return cached[1]
        html = self.env.get_template(template).render(
            s=s, charts=self.charts(s), refresh_ms=int(self.settings.refresh_seconds * 1000),
            source_name=self.source)
        self._pages[template] = (s, html)
        return html

    def authorize(self, request: web.Request) -> web.Response | None:
        """None when the request may act; else the refusal (nothing has changed)."""
        if self.live is None or self.token is None:
            return _refuse(403, "read-only: this dashboard shows a run folder; actions need a live account")
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if not header or scheme.lower() != "bearer" or not given:
            return _refuse(401, "a token is needed: Authorization: Bearer TOKEN (printed by trade dashboard at start)",
                           {"WWW-Authenticate": 'Bearer realm="trade"'})
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return _refuse(403, "wrong token")
        return None


def _refuse(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "message": message}, status=status, headers=headers)


# -- routes -----------------------------------------------------------------------------------------


def _board(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]  # type: ignore[return-value]


async def _in_thread(request: web.Request, fn: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(fn)


async def page(request: web.Request) -> web.Response:
    html = await _in_thread(request, lambda: _board(request).render("dashboard.html.j2"))
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


async def fragment(request: web.Request) -> web.Response:
    html = await _in_thread(request, lambda: _board(request).render("live.html.j2"))
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


def _json(data: Any) -> web.Response:
    return web.json_response(data, dumps=lambda d: json.dumps(d, default=str), headers={"Cache-Control": "no-store"})


async def api_status(request: web.Request) -> web.Response:
    return _json(await _in_thread(request, _board(request).status))


def _part(*keys: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        s = await _in_thread(request, _board(request).status)
        return _json({k: s[k] for k in keys} | {"as_of": s["as_of"]})

    return handler


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ("dashboard.js", "dashboard.css"):
        raise web.HTTPNotFound()
    text = resources.files("analyzers.dashboard").joinpath("static", name).read_text(encoding="utf-8")
    kind = "application/javascript" if name.endswith(".js") else "text/css"
    return web.Response(text=text, content_type=kind)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def action(name: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        board = _board(request)
        refused = board.authorize(request)
        origin = f"dashboard {request.remote or 'unknown'}"
        if refused is not None:
            log.warning("%s refused from %s: HTTP %d", name, origin, refused.status)
            return refused
        body = await _body(request)
        if name == "flatten" and body.get("confirm") != "flatten":
            return _refuse(400, 'flatten asks for confirmation: send {"confirm": "flatten"}')
        live = board.live
        assert live is not None
        if name == "halt":
            reason = str(body.get("reason") or "manual halt")[:200]
            outcome: ActionOutcome = await asyncio.to_thread(live.halt, origin, reason)
        elif name == "resume":
            outcome = await asyncio.to_thread(live.resume, origin)
        else:
            outcome = await asyncio.to_thread(live.flatten, origin)
        log.warning("%s by %s: %s", name, origin, outcome.message)
        await asyncio.to_thread(live.refresh)
        return web.json_response({"ok": outcome.ok, "action": name, "message": outcome.message},
                                 status=200 if outcome.ok else 502)

    return handler


ALLOWED = web.AppKey("allowed_hosts", frozenset)
TOKEN_COOKIE = "trade_dashboard_token"
WILDCARDS = {"0.0.0.0", "::", ""}


def host_allow_list(bound: str, extra: tuple[str, ...] | frozenset[str] = ()) -> frozenset[str]:
    """The names a request may address: loopback's, the bound interface's (unless a wildcard) and
    ``trade dashboard --allow-host`` names. Always checked: a DNS-rebinding page names its own host."""
    names = set(LOOPBACK) | {h.strip("[]").lower() for h in extra}
    if bound not in WILDCARDS:
        names.add(bound.strip("[]").lower())
    return frozenset(names)


def _given_token(request: web.Request) -> str:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return given.strip()
    return request.query.get("token") or request.cookies.get(TOKEN_COOKIE) or ""


@web.middleware
async def access(request: web.Request, handler: Any) -> web.StreamResponse:
    """Who may read: the ``Host`` on the allow-list always; off loopback, the token too (an
    ``Authorization: Bearer`` header, or the page opened once with ``?token=``, kept in an HttpOnly
    same-site cookie). Actions need the bearer header besides (:meth:`Dashboard.authorize`)."""
    bound, names = request.app[BOUND], request.app[ALLOWED]
    name = (request.url.host or "").strip("[]").lower()
    if name not in names:
        return _refuse(403, "this dashboard answers requests addressed to its allowed host names only "
                            "(loopback, the bound interface, trade dashboard --allow-host)")
    if bound in LOOPBACK:
        return await handler(request)
    token, given = _board(request).token, _given_token(request)
    if token is None or not given:
        return _refuse(401, "off loopback every request needs the token: open /?token=TOKEN once, or send "
                            "Authorization: Bearer TOKEN", {"WWW-Authenticate": 'Bearer realm="trade"'})
    if not hmac.compare_digest(given.encode(), token.encode()):
        return _refuse(403, "wrong token")
    response = await handler(request)
    if request.query.get("token"):
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
    return response


async def _refresh_loop(app: web.Application) -> None:
    board: Dashboard = app[DASHBOARD]  # type: ignore[assignment]
    assert board.live is not None
    while True:
        started = time.monotonic()
        try:
            await asyncio.to_thread(board.live.refresh)
        except Exception:  # the page says the figures are stale; the loop goes on
            log.exception("dashboard: refreshing from the broker failed")
        left = board.settings.broker_refresh_seconds - (time.monotonic() - started)
        await asyncio.sleep(max(left, 0.5))


async def _start_refresh(app: web.Application) -> None:
    board: Dashboard = app[DASHBOARD]  # type: ignore[assignment]
    if board.live is not None:
        app[REFRESHER] = asyncio.get_running_loop().create_task(_refresh_loop(app))


async def _stop_refresh(app: web.Application) -> None:
    task = app.get(REFRESHER)
    if task is not None:
        task.cancel()


def make_app(board: Dashboard, bound_host: str = "127.0.0.1", *,
             allowed_hosts: tuple[str, ...] = ()) -> web.Application:
    app = web.Application(middlewares=[access])
    app[DASHBOARD] = board
    app[BOUND] = bound_host
    app[ALLOWED] = host_allow_list(bound_host, allowed_hosts)
    r = app.router
    r.add_get("/", page)
    r.add_get("/fragment", fragment)
    r.add_get("/api/status", api_status)
    r.add_get("/api/positions", _part("positions"))
    r.add_get("/api/orders", _part("orders"))
    r.add_get("/api/fills", _part("fills"))
    r.add_get("/api/execution", _part("execution"))
    r.add_get("/api/halt", _part("halt"))
    r.add_get("/static/{name}", static)
    for name in ACTIONS:
        r.add_post(f"/api/{name}", action(name))
    app.on_startup.append(_start_refresh)
    app.on_cleanup.append(_stop_refresh)
    return app


class DashboardServer:
    """Serve a :class:`Dashboard` in a background thread: ``with DashboardServer(board, port=0) as d: d.url``."""

    def __init__(self, board: Dashboard, *, host: str = "127.0.0.1", port: int = 0,
                 allowed_hosts: tuple[str, ...] = ()) -> None:
        self.board, self.host, self._port = board, host, port
        self.app = make_app(board, host, allowed_hosts=allowed_hosts)
        self._server = BackgroundServer(self.app, host, port, "dashboard")

    @property
    def port(self) -> int:
        """The port bound (0 before the start)."""
        return self._server.port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> DashboardServer:
        try:
            self._server.start()
        except OSError as e:
            raise InputError(f"dashboard cannot listen on {self.host}:{self._port}: "
                             f"{e.strerror or e} (--port 0 picks a free port)") from None
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Dashboard", "DashboardServer", "DashboardSettings", "environment", "make_app"]
