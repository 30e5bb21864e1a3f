from tests.integration.web.world import _fast_password_hashing

__all__ = ["_fast_password_hashing"]
