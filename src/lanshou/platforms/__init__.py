"""Live connections to selling platforms (抖店开放平台): connecting a shop, the incremental order
sync, pushed messages, telling the platform a parcel left, and the platform as a second route
source (registering routes, receiving them).

The gateway client itself (signing, calls, tokens, errors) is ``adapters.platforms.douyin``;
this package decides what the answers mean for lanshou's orders, shipments and appeals.
"""

from lanshou.platforms.connections import connect_douyin, connection_ids, connection_views
from lanshou.platforms.context import PlatformsContext
from lanshou.platforms.push import (
    ACK,
    MalformedPush,
    PushRefused,
    apply_message,
    apply_stranded,
    parse_messages,
    store_messages,
    verify_push,
)
from lanshou.platforms.routes import RouteRegistrar, receive_route
from lanshou.platforms.secrets import SecretBox
from lanshou.platforms.shipping import latest_answers, tell_platform_shipped
from lanshou.platforms.sync import SyncSummary, sync_connection, sync_due

__all__ = [
    "ACK",
    "MalformedPush",
    "PlatformsContext",
    "PushRefused",
    "RouteRegistrar",
    "SecretBox",
    "SyncSummary",
    "apply_message",
    "apply_stranded",
    "connect_douyin",
    "connection_ids",
    "connection_views",
    "latest_answers",
    "parse_messages",
    "receive_route",
    "store_messages",
    "sync_connection",
    "sync_due",
    "tell_platform_shipped",
    "verify_push",
]
