"""BeatStitch's infrastructure on this machine: a Kafka broker, PostgreSQL, the services.

The CLI, the tests and the benches start what they need from here; nothing in here is
part of a deployment, where a real cluster and a real database take these places.
"""
