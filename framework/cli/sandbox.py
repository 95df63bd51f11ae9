"""`trade sandbox`: start the loopback Alpaca-compatible server, or drive a running one."""

from __future__ import annotations

import os
import threading

import click

from framework.cli.options import config_option, data_overrides

DEFAULT_URL = "http://127.0.0.1:8765"


def _control_url(url: str | None) -> str:
    return url or os.environ.get("APCA_API_BASE_URL") or DEFAULT_URL


@click.group(invoke_without_command=True)
@click.option("--host", help="Interface to bind (loopback only by default).")
@click.option("--port", type=int, help="Port (0: any free port).")
@click.option("--data", type=click.Path(dir_okay=False), help="Prices file to replay (default: embedded).")
@click.option("--sectors", type=click.Path(dir_okay=False), help="Sectors file.")
@click.option("--start", help="First simulated session, YYYY-MM-DD.")
@click.option("--state", type=click.Path(dir_okay=False), help="SQLite state file.")
@click.option("--reset", is_flag=True, help="Start a fresh account (forget the saved state).")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    type=click.Choice(["rate_limit", "server_error", "slow", "lost_response", "reject", "partial"]),
    help="Arm one fault of this kind at start (repeatable).",
)
@click.option("--seed", type=int, help="Seed of the fault injector.")
@click.option("--wall-clock", type=click.FloatRange(min=0.1), help="Advance one session every N seconds of wall time.")
@config_option
@click.pass_context
def sandbox(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    data: str | None,
    sectors: str | None,
    start: str | None,
    state: str | None,
    reset: bool,
    faults: tuple[str, ...],
    seed: int | None,
    wall_clock: float | None,
    config_files: tuple[str, ...],
) -> None:
    """Run an Alpaca-compatible paper server on 127.0.0.1 that replays market data."""
    if ctx.invoked_subcommand is not None:
        return
    from brokers.sandbox.server import SandboxServer
    from framework.config import load_settings

    settings = load_settings(config_files, data_overrides(data, sectors), validate_strategy=False)
    server = SandboxServer(
        settings,
        state=state,
        host=host,
        port=port,
        start=start,
        reset=reset,
        seed=seed if seed is not None else settings.sandbox.seed,
        wall_clock=wall_clock,
    )
    server.start()
    if faults:
        server.set_faults([{"kind": kind} for kind in faults])
    ex = server.exchange
    click.echo(
        f"sandbox: replaying {server.market.source} ({len(server.market.symbols)} symbols), "
        f"session {ex.day.date()} {ex.phase}, state {server.store.path}"
    )
    click.echo(f"  trading + data: {server.base_url}    stream: {server.stream_url}")
    click.echo("In another terminal:")
    click.echo(f"  export APCA_API_BASE_URL={server.base_url} APCA_API_DATA_URL={server.data_url}")
    click.echo(f"  export APCA_API_STREAM_URL={server.stream_url}")
    click.echo("  export APCA_API_KEY_ID=sandbox APCA_API_SECRET_KEY=sandbox")
    click.echo("  trade paper --once; trade sandbox advance; trade status")
    click.echo("Ctrl-C stops the server.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.stop()


@sandbox.command()
@click.option(
    "--to",
    type=click.Choice(["open", "close", "next_session"]),
    default="next_session",
    show_default=True,
    help="How far to move the simulated clock.",
)
@click.option("--sessions", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="How many times to move it (with --to next_session: sessions to skip ahead).")
@click.option("--url", help=f"Sandbox URL (default: $APCA_API_BASE_URL or {DEFAULT_URL}).")
def advance(to: str, sessions: int, url: str | None) -> None:
    """Move a running sandbox's simulated market clock."""
    from brokers.sandbox.control import SandboxControl

    answer = SandboxControl(_control_url(url)).advance(to, sessions)
    click.echo(f"sandbox now at {answer['session']} ({answer['phase']})")


@sandbox.command()
@click.argument(
    "kind",
    type=click.Choice(["rate_limit", "server_error", "slow", "lost_response", "drop_stream", "reject", "partial"]),
)
@click.option("--route", default="", help='Only this route, e.g. "POST /v2/orders".')
@click.option("--count", type=int, default=1, show_default=True, help="How many requests the fault hits.")
@click.option("--delay", type=float, default=0.0, help="Seconds, for slow.")
@click.option("--status", type=int, default=503, show_default=True, help="HTTP status, for server_error.")
@click.option("--url", help=f"Sandbox URL (default: $APCA_API_BASE_URL or {DEFAULT_URL}).")
def fault(kind: str, route: str, count: int, delay: float, status: int, url: str | None) -> None:
    """Arm a fault in a running sandbox (replaces the armed ones)."""
    from brokers.sandbox.control import SandboxControl

    answer = SandboxControl(_control_url(url)).faults(
        [{"kind": kind, "route": route, "count": count, "delay": delay, "status": status}]
    )
    click.echo(f"armed {answer['armed']} fault(s); dropped {answer['dropped_streams']} stream(s)")
