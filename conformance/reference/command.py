"""`conformance serve`: run the reference slskd in the foreground until Ctrl-C.

For trying a client against a slskd that needs no Soulseek account: it prints one line
with its URL (never the key) and serves until interrupted. Bad options and a taken port
end it with one line and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading

from conformance.cli.arguments import Parser, UsageError, port
from conformance.errors import ExitCode
from conformance.reference.faults import FAULTS
from conformance.reference.network import DEFAULT_USERNAME, SoulseekError
from conformance.reference.options import BEHAVIOURS, DOCUMENTED, ReferenceOptions
from conformance.reference.server import ReferenceServer
from conformance.reference.variants import VARIANTS


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="conformance serve",
        description="Serve the embedded reference slskd (Conversations API) on a local port.",
        epilog=f"faults: {', '.join(sorted(FAULTS))}",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=port, default=5030, help="port to listen on (default: 5030, slskd's)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("SLSKD_API_KEY"),
        help="require this X-API-Key (default: $SLSKD_API_KEY; none: authentication disabled)",
    )
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default=DOCUMENTED, help="default: documented")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file to keep conversations in (default: memory)"
    )
    parser.add_argument(
        "--echo-peer",
        action="append",
        metavar="USERNAME",
        help="a peer that answers every message (repeatable)",
    )
    parser.add_argument(
        "--blacklist",
        action="append",
        metavar="USERNAME",
        help="a blacklisted username, slskd behaviour only",
    )
    parser.add_argument(
        "--not-logged-in", action="store_true", help="simulate an instance logged out of Soulseek"
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="switch on a seeded fault"
    )
    parser.add_argument(
        "--variant", action="append", default=[], metavar="NAME", help="a representation variant (repeatable)"
    )
    parser.add_argument(
        "--list-variants", action="store_true", help="list the representation variants and exit"
    )
    parser.add_argument("--version", default="0.26.0", help="the slskd version to report (default: 0.26.0)")
    parser.add_argument(
        "--soulseek",
        type=_address,
        metavar="HOST:PORT",
        help="log in to this Soulseek server (e.g. `conformance network`) instead of simulating one",
    )
    parser.add_argument("--soulseek-username", default=DEFAULT_USERNAME, help="with --soulseek")
    parser.add_argument("--soulseek-password", default=DEFAULT_USERNAME, help="with --soulseek")
    return parser


def options_from(args: argparse.Namespace) -> ReferenceOptions:
    defaults = ReferenceOptions()
    return ReferenceOptions(
        behaviour=args.behaviour,
        api_key=args.api_key or None,
        echo_peers=tuple(args.echo_peer) if args.echo_peer else defaults.echo_peers,
        blacklist=tuple(args.blacklist) if args.blacklist else defaults.blacklist,
        logged_in=not args.not_logged_in,
        db_path=args.db,
        version=args.version,
        faults=frozenset(args.fault),
        variants=frozenset(args.variant),
        soulseek=args.soulseek,
        soulseek_username=args.soulseek_username,
        soulseek_password=args.soulseek_password,
    )


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.list_variants:
            print("\n".join(f"{name:24} {description}" for name, description in VARIANTS.items()))
            return ExitCode.CONFORMANT
        server = ReferenceServer(options_from(args), host=args.host, port=args.port)
        server.start()
    except SystemExit as done:  # --help
        return int(done.code or 0)
    except (UsageError, ValueError) as error:
        print(f"conformance serve: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except SoulseekError as error:
        print(f"conformance serve: {error}", file=sys.stderr)
        return ExitCode.TARGET_UNUSABLE
    except sqlite3.Error as error:
        print(f"conformance serve: cannot open the database {args.db}: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except OSError as error:
        print(
            f"conformance serve: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr
        )
        return ExitCode.USAGE
    auth = "X-API-Key required" if server.options.auth_enabled else "no authentication"
    print(f"reference slskd ({args.behaviour}, {auth}) serving {server.base_url}; Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return ExitCode.CONFORMANT


if __name__ == "__main__":
    sys.exit(main())
