"""A simulated Soulseek network: a server that slskd (or any Soulseek client) can log in to.

No real user exists on it, so everything an slskd logged in to it sends is safe. `codec` frames
the protocol, `messages` writes and reads the server messages (`room_messages` those of chat
rooms), `state` holds the network's rules, `rooms` plays the chat rooms, `server` serves them on
a TCP port, `control` is the HTTP control API and `command` is `conformance network`.
"""
