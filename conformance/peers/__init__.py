"""The simulated Soulseek users that share files: their libraries, how they match a search,
what they answer, and the record of what was sent.

No I/O here. The same peers are played by the simulated network (`conformance network`, over
real sockets), by the reference server's in-process simulation, and read by the checker (to
draw search texts that match, partly match and miss), so all three agree on every byte a peer
sends: `library` (who shares what, from a declarative file and a seed), `matching` (the query a
client sends and the rule a peer answers by), `responses` (a peer's answer to one search),
`record` (what the network knows was sent: the checker's oracle), `uploads` (what a peer does
with a download, and the bytes it sends), `transfer_log` (what the network knows about every
download request: the Transfers oracle), `browsing` (what a peer answers to a browse, a folder
contents and a user info request) and `rooms` (the simulated server's chat rooms and what their
members do).
"""
