"""The 抖店开放平台 (Douyin shop Open Platform) gateway client.

DouyinError(Exception)       the platform answered with a code other than 10000
├── TrafficLimited           code 60000 / isv.traffic-limited: back off and retry
├── AccessTokenExpired       isv.access-token-expired (or -invalid): refresh once and retry
└── GatewayUnreachable       no answer at all (network, HTTP status, a body that is not JSON)
"""

from lanshou.adapters.platforms.douyin.client import (
    DEFAULT_GATEWAY,
    SANDBOX_GATEWAY,
    Credentials,
    DouyinClient,
    Token,
)
from lanshou.adapters.platforms.douyin.errors import (
    AccessTokenExpired,
    DouyinError,
    GatewayUnreachable,
    TrafficLimited,
)
from lanshou.adapters.platforms.douyin.signing import event_sign, method_of, param_json, sign

__all__ = [
    "DEFAULT_GATEWAY",
    "SANDBOX_GATEWAY",
    "AccessTokenExpired",
    "Credentials",
    "DouyinClient",
    "DouyinError",
    "GatewayUnreachable",
    "Token",
    "TrafficLimited",
    "event_sign",
    "method_of",
    "param_json",
    "sign",
]
