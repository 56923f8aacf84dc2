"""API tests run against one real stack per module (API + projector [+ worker] processes)."""

from tests.support.api_fixtures import stack, stack_env, stack_root, stack_worker  # noqa: F401
