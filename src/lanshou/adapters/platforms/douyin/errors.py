"""What the 抖店 gateway can answer besides success (code 10000)."""

from __future__ import annotations

__all__ = [
    "EXPIRED_TOKEN_SUB_CODES",
    "SUCCESS",
    "TRAFFIC_LIMITED",
    "AccessTokenExpired",
    "DouyinError",
    "GatewayUnreachable",
    "TrafficLimited",
]

SUCCESS = 10000
TRAFFIC_LIMITED = 60000
# The sub codes that mean "get a new access token": expired, or replaced by a refresh.
EXPIRED_TOKEN_SUB_CODES = frozenset({"isv.access-token-expired", "isv.access-token-invalid"})


class DouyinError(Exception):
    """The platform refused a call; ``code``/``sub_code`` and the messages are its own words."""

    def __init__(
        self,
        method: str,
        code: int,
        msg: str,
        sub_code: str = "",
        sub_msg: str = "",
        log_id: str = "",
    ) -> None:
        self.method = method
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.log_id = log_id
        super().__init__(self.describe())

    def describe(self) -> str:
        detail = f" ({self.sub_code}: {self.sub_msg})" if self.sub_code or self.sub_msg else ""
        return f"{self.method}: {self.code} {self.msg}{detail}"


class TrafficLimited(DouyinError):
    """60000 / isv.traffic-limited: too many calls; worth retrying after a pause."""


class AccessTokenExpired(DouyinError):
    """The access token is expired or no longer valid; a refresh fixes it."""


class GatewayUnreachable(DouyinError):
    """No platform answer: the connection failed, the HTTP status was not 200, or the body was
    not the gateway's JSON."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(method, 0, reason)

    def describe(self) -> str:
        return f"{self.method}: gateway unreachable: {self.msg}"
