"""``customer-protocol serve``: the reference server's command-line options and main loop."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import anyio

from customer_protocol.endpoints import LEGACY_API, TOKEN_V2_PATH, V3_APIS, action_base
from customer_protocol.server import AgentConfig, FaultKind, FaultRule, Faults, ServerConfig

from .server import DEFAULT_SEND_QUEUE_LIMIT, ReferenceServer, serve
from .tls import ServerTLS

__all__ = ["add_serve_arguments", "run_serve"]


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``customer-protocol serve`` to ``parser`` (see :func:`run_serve`)."""
    defaults = ServerConfig()
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    add("--port", type=int, default=8080, help="port, 0 for any free one (default %(default)s)")
    add("--db", metavar="FILE", help="SQLite file to persist to (default: in memory)")
    add("--license-id", type=int, default=defaults.license_id, help="default %(default)s")
    add("--organization-id", default=defaults.organization_id, help="the v3 organization_id")
    add(
        "--agent-token",
        default=defaults.agent_token,
        help="the agent access token of the v3 agent_token grant",
    )
    add(
        "--login-timeout",
        type=float,
        default=defaults.login_timeout,
        metavar="SECONDS",
        help="close a v3 connection that has not logged in by then (0: never)",
    )
    add("--client-id", default=defaults.client_id, help="accounts client_id")
    add("--client-secret", default=defaults.client_secret, help="accounts client_secret")
    add("--app-token", default=defaults.app_access_token, help="accounts app access token")
    add("--redirect-uri", default=defaults.redirect_uri, help="accounts redirect_uri")
    add("--idle-timeout", type=float, default=defaults.idle_timeout, metavar="SECONDS")
    add("--no-agent", action="store_true", help="turn the simulated agent off")
    add(
        "--agent-delay",
        type=float,
        metavar="SECONDS",
        help="the agent joins and answers after SECONDS (types after half of it)",
    )
    add("--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop")
    add("--send-queue-limit", type=int, default=DEFAULT_SEND_QUEUE_LIMIT, metavar="BYTES")
    tls = parser.add_argument_group("TLS (wss:// and https:// on the same port)")
    add = tls.add_argument
    add("--tls-cert", metavar="PEM", help="certificate chain file (with --tls-key)")
    add("--tls-key", metavar="PEM", help="private key file (with --tls-cert)")
    add(
        "--tls-self-signed",
        nargs="?",
        const="",
        metavar="DIR",
        help="a throwaway CA and certificate for 127.0.0.1/localhost, written to DIR (default:"
        " a temporary folder removed on exit); the CA path is printed for clients to trust;"
        " needs the [tls] extra",
    )
    faults = parser.add_argument_group("fault injection")
    add = faults.add_argument
    add("--drop-after", type=int, metavar="N", help="drop each connection after N messages")
    add("--ignore-pings", action="store_true", help="never answer WebSocket pings")
    add("--binary-frames", action="store_true", help="send every message as a binary frame")
    add("--oversize-frames", action="store_true", help="pad every message past 1 MiB")
    add(
        "--malformed-json",
        nargs="?",
        const="*",
        metavar="ACTION",
        help="send a frame that is not JSON before every response (to ACTION, or all)",
    )
    add("--delay-responses", type=float, metavar="SECONDS", help="hold every response back")


def _config_from_args(args: argparse.Namespace) -> ServerConfig:
    agent: AgentConfig | None = None
    if not args.no_agent:
        agent = AgentConfig()
        if args.agent_delay is not None:
            delay = args.agent_delay
            agent = AgentConfig(join_delay=delay, typing_delay=delay / 2, reply_delay=delay)
    return ServerConfig(
        license_id=args.license_id,
        client_id=args.client_id,
        client_secret=args.client_secret,
        app_access_token=args.app_token,
        redirect_uri=args.redirect_uri,
        idle_timeout=args.idle_timeout if args.idle_timeout and args.idle_timeout > 0 else None,
        organization_id=args.organization_id,
        agent_token=args.agent_token,
        login_timeout=args.login_timeout if args.login_timeout and args.login_timeout > 0 else None,
        agent=agent,
    )


def _faults_from_args(args: argparse.Namespace) -> Faults:
    faults = Faults()
    faults.drop_after_messages = args.drop_after
    faults.ignore_pings = args.ignore_pings
    faults.binary_frames = args.binary_frames
    faults.oversize_frames = args.oversize_frames
    if args.malformed_json is not None:
        action = None if args.malformed_json == "*" else args.malformed_json
        faults.add(FaultRule(kind=FaultKind.MALFORMED_JSON, action=action, times=None))
    if args.delay_responses is not None:
        rule = FaultRule(kind=FaultKind.DELAY, times=None, delay=args.delay_responses)
        faults.add(rule)
    return faults


def _tls_from_args(args: argparse.Namespace) -> tuple[ServerTLS | None, Path | None]:
    """The TLS settings, and a temporary folder to remove on exit (or ``None``)."""
    if args.tls_self_signed is not None:
        if args.tls_cert or args.tls_key:
            raise ValueError("--tls-self-signed excludes --tls-cert/--tls-key")
        folder = Path(args.tls_self_signed) if args.tls_self_signed else None
        scratch = None
        if folder is None:
            scratch = folder = Path(tempfile.mkdtemp(prefix="customer-protocol-tls-"))
        try:
            return ServerTLS.self_signed(folder), scratch
        except (RuntimeError, OSError) as exc:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            raise ValueError(str(exc)) from None
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.tls_cert:
        return ServerTLS.from_files(args.tls_cert, args.tls_key), None
    return None, None


def _web_api_pattern(server: ReferenceServer, api: str) -> str:
    return f"{server.http_url}{action_base(api)}<action>?{server.query_for(api)}"


def _describe(server: ReferenceServer, args: argparse.Namespace) -> str:
    config = server.config
    newest = V3_APIS[-1]
    lines = [
        f"customer-protocol reference server on {server.http_url}",
        f"  API base URL  {server.url}",
        "  chat.io v0.3",
        f"    license_id    {config.license_id}",
        f"    RTM           {server.rtm_url}",
        f"    Web API       {_web_api_pattern(server, LEGACY_API)}",
        f"    accounts      {server.http_url}/customer/  and  {server.http_url}/customer/token",
        f"    client_id={config.client_id}  client_secret={config.client_secret}",
        f"    app access token={config.app_access_token}  redirect_uri={config.redirect_uri}",
        f"  LiveChat v{', v'.join(V3_APIS)} (v{newest} shown)",
        f"    organization_id  {config.organization_id}",
        f"    client_id        {config.client_id}",
        f"    agent token      {config.agent_token}  (for the agent_token grant)",
        f"    RTM              {server.rtm_url_for(newest)}",
        f"    Web API          {_web_api_pattern(server, newest)}",
        f"    customer token   POST {server.http_url}{TOKEN_V2_PATH}",
        f"  database      {args.db or '(in memory)'}",
        f"  agent         {'off' if config.agent is None else config.agent.name}",
    ]
    if server.tls:
        ca = server.ca_path or "(a public or your own CA)"
        lines.append(f"  TLS           on; CA file: {ca}")
    lines.append("Ctrl-C to stop.")
    return "\n".join(lines)


def run_serve(args: argparse.Namespace) -> int:
    """Run ``customer-protocol serve`` until Ctrl-C or SIGTERM; returns the exit status.

    Prints the URLs and the accounts credentials (the configured demo values) first.
    """
    try:
        config = _config_from_args(args)
        faults = _faults_from_args(args)
        tls, scratch = _tls_from_args(args)
    except ValueError as exc:
        print(f"customer-protocol serve: {exc}", file=sys.stderr)
        return 2

    async def main() -> None:
        async with serve(
            args.host,
            args.port,
            args.db,
            config,
            faults,
            send_queue_limit=args.send_queue_limit,
            tls=tls,
        ) as server:
            try:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    # Printed once the signals are caught: a SIGTERM sent on reading the
                    # banner still shuts down cleanly (and removes a temporary CA).
                    print(_describe(server, args), flush=True)
                    async for _ in signals:
                        break
            except NotImplementedError:  # pragma: no cover - Windows
                print(_describe(server, args), flush=True)
                await anyio.sleep_forever()

    try:
        anyio.run(main, backend=args.backend)
    except KeyboardInterrupt:  # pragma: no cover - Windows
        pass
    except OSError as exc:
        print(f"customer-protocol serve: {exc}", file=sys.stderr)
        return 1
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0
