"""`conformance network`: the simulated Soulseek network in the foreground until Ctrl-C.

Prints one line when it listens (never a password), then a log line for each refused login
and each connection closed for a lying frame. Bad options and a taken port end it with one
line and exit code 2.

With no peer options it has the peers every network check needs: an echo peer (checks that
wait for a reply) and a silent one (incoming messages that change no other check's
conversations). Naming peers of a kind replaces that kind's default; `--no-default-peers`
leaves only the named ones.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from conformance.cli.arguments import Parser, UsageError, port
from conformance.errors import ExitCode
from conformance.network.control import ControlServer
from conformance.network.server import NetworkServer
from conformance.network.sharing import SharingPeers
from conformance.network.state import PeerKind
from conformance.peers.library import load
from conformance.peers.rooms import load as load_rooms

# What a network started with no peer options has, under the names the docs and CI use.
DEFAULT_PEERS = {"echo-peer": PeerKind.ECHO, "quiet-peer": PeerKind.SILENT}


def build_parser() -> Parser:
    parser = Parser(
        prog="conformance network",
        description="Serve a simulated Soulseek network (server protocol + scripted peers) on a local port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=port, default=2271, help="Soulseek server port (default: 2271)")
    parser.add_argument(
        "--control-port", type=port, default=2272, help="control API port, on 127.0.0.1 (default: 2272)"
    )
    for kind, help_text in (
        (PeerKind.ECHO, "a peer that answers every message once (repeatable; default: echo-peer)"),
        (PeerKind.SILENT, "a peer that accepts messages and never answers (repeatable; default: quiet-peer)"),
        (PeerKind.OFFLINE, "a peer shown offline; messages to it are held (repeatable)"),
    ):
        parser.add_argument(
            f"--{kind}-peer", action="append", default=[], metavar="NAME", dest=str(kind), help=help_text
        )
    parser.add_argument(
        "--library",
        type=Path,
        metavar="FILE",
        help="the sharing peers and their files (YAML; default: the built-in library, "
        "conformance/peers/library.yaml)",
    )
    parser.add_argument(
        "--library-seed",
        type=int,
        default=0,
        metavar="N",
        help="the seed that makes the library's sizes and attributes exact (default: 0)",
    )
    parser.add_argument(
        "--rooms",
        type=Path,
        metavar="FILE",
        help="the chat rooms, their members and chatter (YAML; default: the built-in rooms, "
        "conformance/peers/rooms.yaml)",
    )
    parser.add_argument(
        "--no-sharing-peers", action="store_true", help="no sharing peers: searches go unanswered"
    )
    parser.add_argument(
        "--no-default-peers",
        action="store_true",
        help="only the peers named (default: an echo and a silent peer for any kind not named)",
    )
    return parser


def peers_from(args: argparse.Namespace) -> dict[str, PeerKind]:
    peers: dict[str, PeerKind] = {}
    for kind in PeerKind:
        for name in getattr(args, str(kind)):
            if not name.strip():
                raise UsageError(f"--{kind}-peer needs a non-empty name")
            if peers.setdefault(name, kind) is not kind:
                raise UsageError(f"peer {name!r} is given two kinds ({peers[name]}, {kind})")
    if not args.no_default_peers:
        named_kinds = set(peers.values())
        for name, kind in DEFAULT_PEERS.items():
            if kind not in named_kinds:
                peers.setdefault(name, kind)
    return peers


def _usage(message: str) -> int:
    print(f"conformance network: {message}", file=sys.stderr)
    return ExitCode.USAGE


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        peers = peers_from(args)
        library = load(args.library, args.library_seed)
        sharing = False if args.no_sharing_peers else SharingPeers(library, args.library_seed)
        chat_rooms = load_rooms(library, args.rooms, args.library_seed)
    except SystemExit as done:  # --help
        return int(done.code or 0)
    except (UsageError, ValueError, OSError) as error:
        return _usage(str(error))
    logging.basicConfig(level=logging.INFO, format="conformance network: %(message)s", stream=sys.stderr)
    network = NetworkServer(peers, host=args.host, port=args.port, sharing=sharing, chat_rooms=chat_rooms)
    try:
        network.start()
    except OSError as error:
        return _usage(f"cannot listen on {args.host}:{args.port}: {error.strerror}")
    try:
        control = ControlServer(network, args.control_port).start()
    except OSError as error:
        network.stop()
        return _usage(f"cannot serve the control API on port {args.control_port}: {error.strerror}")
    listed = ", ".join(f"{name} ({kind})" for name, kind in peers.items()) or "none"
    if sharing:
        listed += f"; {len(sharing.peers)} sharing peers"
    listed += f"; {len(chat_rooms)} chat rooms"
    print(
        f"simulated Soulseek network listening on {args.host}:{network.port}; control API {control.url}; "
        f"peers: {listed}; Ctrl-C to stop",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        control.stop()
        network.stop()
    return ExitCode.CONFORMANT


if __name__ == "__main__":
    sys.exit(main())
