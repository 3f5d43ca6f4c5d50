"""The reference slskd as a WSGI application: slskd's request pipeline, in slskd's order.

1. routing: no route → 404; the path exists but not for this method → 405 with `Allow`;
2. a `Content-Type` that is present and not JSON → 415, before authentication (ASP.NET
   rejects it while matching the endpoint);
3. authentication (`X-API-Key` or Bearer JWT) → 401, empty body;
4. a POST without any `Content-Type` → 415 (no input formatter can read its body);
5. the action; `NotFound()`/`BadRequest()` and empty successes carry no body, and any
   exception becomes 500 with its message as a JSON string (slskd's exception handler).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.apis import installed
from conformance.apis.interface import Backing
from conformance.peers.library import load as load_peers
from conformance.reference.auth import Authenticator
from conformance.reference.clock import MonotonicClock
from conformance.reference.faults import bypassed
from conformance.reference.network import Incoming, SimulatedNetwork, SoulseekNetwork
from conformance.reference.options import ReferenceOptions
from conformance.reference.routes import SYSTEM_ROUTES, Operation, match
from conformance.reference.soulseek import SoulseekConnection
from conformance.reference.store import Store
from conformance.reference.system import SystemApi
from conformance.reference.variants import Representation
from conformance.reference.wire import JSON_TYPE, HttpError, Reply, Request, is_json_media_type, to_wsgi

API_VERSIONS = ("api-supported-versions", "0")  # ReportApiVersions on every versioned action
PROBLEM_TYPE = "application/problem+json; charset=utf-8"
NOT_FOUND_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.5"


class ReferenceApp:
    """The WSGI callable; `network.logged_in` may be switched while it serves."""

    def __init__(self, options: ReferenceOptions) -> None:
        self.options = options
        faults = options.faults
        self.store = Store(options.db_path, case_insensitive="username-case-insensitive" in faults)
        self.representation = Representation(options.variants)
        self.clock = MonotonicClock(
            after=self.store.latest_timestamp(), coarse=self.representation.coarse_clock
        )
        self.network = _network(options, last_id=self.store.latest_incoming_id())
        self.auth = Authenticator(options)
        backing = Backing(options, self.store, self.network, self.clock, self.representation)
        self.emulations = [api.emulate(backing) for api in installed() if api.emulate is not None]
        self.routes = (*(route for e in self.emulations for route in e.routes), *SYSTEM_ROUTES)
        system = SystemApi(options, self.network, self.auth)
        unguarded = bypassed(faults)  # the auth-bypass faults: operations served without credentials
        self.operations = {
            **{
                name: replace(op, anonymous=op.anonymous or name in unguarded)
                for emulation in self.emulations
                for name, op in emulation.operations.items()
            },
            "version": Operation(system.version),
            "application": Operation(system.application),
            "server": Operation(system.server),
            "session": Operation(system.session),
            "session_enabled": Operation(system.session_enabled, anonymous=True),
            "login": Operation(system.login, anonymous=True, reads_body=True),
        }
        self._any_content_type = "non-json-accepted" in faults
        self._plain_json = "wrong-content-type" in faults
        self._problem_404 = "error-body-problem" in faults
        try:
            self.network.start(self._receive)  # last: messages may arrive at once
        except BaseException:
            self.store.close()
            raise

    def _receive(self, incoming: Incoming) -> None:
        """A peer's message, handed to every emulated API that hears from the network."""
        for emulation in self.emulations:
            if emulation.receive is not None:
                emulation.receive(incoming)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return to_wsgi(self.handle(environ), start_response)

    def close(self) -> None:
        self.network.close()
        self.store.close()

    def handle(self, environ: dict[str, Any]) -> Reply:
        try:
            reply = self._pipeline(Request.from_environ(environ))
        except Exception as error:  # slskd's global exception handler
            reply = Reply.json(str(error), 500)
        return self.representation.dress(self._dress(reply), environ.get("HTTP_ACCEPT_ENCODING"))

    def _pipeline(self, request: Request) -> Reply:
        found = match(self.routes, request.segments, request.method)
        if found is None:
            return Reply(404)
        if found.operation is None:
            return Reply(405, headers=(("Allow", ", ".join(found.allowed)),))
        operation = self.operations[found.operation]
        content_type = request.header("Content-Type") or None  # werkzeug passes "" when absent
        if content_type and not self._any_content_type and not is_json_media_type(content_type):
            return Reply(415)
        if not operation.anonymous:
            challenge = self.auth.challenge(request.header("X-API-Key"), request.header("Authorization"))
            if challenge:
                return Reply(401, headers=(("WWW-Authenticate", challenge),))
        if operation.reads_body and not content_type:
            return Reply(415)
        request.params = found.params
        try:
            reply = operation.handler(request)
        except HttpError as error:
            reply = Reply(error.status)
        return replace(reply, headers=(*reply.headers, API_VERSIONS))

    def _dress(self, reply: Reply) -> Reply:
        """The protocol faults that change every answer of a kind."""
        if self._problem_404 and reply.status == 404:
            problem = {
                "type": NOT_FOUND_TYPE,
                "title": "Not Found",
                "status": 404,
                "traceId": f"00-{uuid.uuid4().hex}",
            }
            return Reply(404, json.dumps(problem).encode(), PROBLEM_TYPE, reply.headers)
        if self._plain_json and reply.content_type == JSON_TYPE:
            return Reply(reply.status, reply.body, "text/plain; charset=utf-8", reply.headers)
        return reply


def _network(options: ReferenceOptions, last_id: int) -> SoulseekNetwork:
    if options.soulseek is None:
        library = None if options.peer_library is None else Path(options.peer_library)
        return SimulatedNetwork(
            logged_in=options.logged_in,
            echo_peers=options.echo_peers,
            last_id=last_id,
            sharing_peers=load_peers(library, seed=options.peer_seed),
            seed=options.peer_seed,
        )
    host, port = options.soulseek
    return SoulseekConnection(host, port, options.soulseek_username, options.soulseek_password)


def create_app(options: ReferenceOptions | None = None) -> ReferenceApp:
    """The reference server as a WSGI application, for in-process use (no socket)."""
    return ReferenceApp(options or ReferenceOptions())
