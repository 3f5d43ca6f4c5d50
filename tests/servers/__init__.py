"""Small real HTTP servers on 127.0.0.1 that the transport's tests talk to.

The transport is tested against sockets, never mocks: each module here is one kind of
target, well-behaved (`fake_slskd`) or not (`misbehaving`), served by `local.LocalServer`.
"""
