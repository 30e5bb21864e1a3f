from tests.integration.web.world import _fast_password_hashing, client, runtime, world

__all__ = ["_fast_password_hashing", "client", "runtime", "world"]
