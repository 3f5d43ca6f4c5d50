"""The Conversations API: slskd's private messages, checked behaviourally.

The model (`model`) and how a server is read (`reading`) and compared with it (`comparison`),
the state machine's steps (`steps`) and rules (`rules`) over a pool of usernames
(`usernames`), the probes that are data (`scenarios.yaml`), and the reference server's
emulation of the API (`emulation`).
"""
