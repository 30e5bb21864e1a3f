"""Carrier tracking feeds: 快递100 and 快递鸟 pushes and the generic JSON batch (files of scans
are read by :func:`lanshou.imports.import_tracking`, which accepts them the same way).

- :mod:`.kuaidi100`, :mod:`.kdniao`: signatures, mapping tables, parsing (no I/O);
- :mod:`.traces`: how a scan without an explicit status gets one (read it before changing it);
- :mod:`.integrations`: the accounts (salts, AppKeys) allowed to push;
- :mod:`.ingest`: verify → store (deduplicated) → correct carrier / flag stall → evaluate;
- :mod:`.subscription_rules`, :mod:`.subscribe_contracts`: tracking subscriptions without I/O
  (states, back-off, what a 快递100 push means; the 快递100 ``poll`` and 快递鸟 1008 requests and
  answers); :mod:`.subscription_client` sends them through the egress guard;
  :mod:`.subscriptions` leases, sends and records them for the worker and applies pushes;
  :mod:`.subscription_admin` is what administrators do (shop accounts, troubles, retry). Rows
  are queued by :mod:`lanshou.orders.tracking_queue` wherever a waybill is given;
- :mod:`.douyin_route`: the 抖店 route callbacks (``/logistics/registerPackageRoute``), read
  and accepted like any feed (``douyin`` integrations; their registrations are sent by
  :mod:`lanshou.platforms.routes` through the same subscription queue);
- :mod:`.batch_json`: the generic JSON batch's events with each one's own text (its raw record);
- :mod:`.errors`: what a feed can refuse.
"""

from lanshou.domain.tracking import PlainEvent
from lanshou.feeds import douyin_route, kdniao, kuaidi100  # modules used as namespaces
from lanshou.feeds.batch_json import event_records, plain_batch
from lanshou.feeds.errors import MalformedFeed, PayloadTooLarge, SignatureInvalid
from lanshou.feeds.ingest import (
    IngestSummary,
    ingest_douyin_route,
    ingest_events,
    ingest_kdniao,
    ingest_kuaidi100,
    ingest_records,
)
from lanshou.feeds.integrations import create_integration, list_integrations
from lanshou.feeds.sealing import Sealer
from lanshou.feeds.subscription_admin import (
    configure_shop_feed,
    retry_subscription,
    shop_feeds,
    subscription_counts,
    subscription_line,
    troubled_subscriptions,
)
from lanshou.feeds.subscription_client import SubscriptionClient
from lanshou.feeds.subscription_rules import Outcome, OutcomeKind, RetryPolicy, SubState
from lanshou.feeds.subscriptions import Job, Sender, SubscriptionRun, send_due_subscriptions

__all__ = [
    "IngestSummary",
    "Job",
    "MalformedFeed",
    "Outcome",
    "OutcomeKind",
    "PayloadTooLarge",
    "PlainEvent",
    "RetryPolicy",
    "Sealer",
    "Sender",
    "SignatureInvalid",
    "SubState",
    "SubscriptionClient",
    "SubscriptionRun",
    "configure_shop_feed",
    "create_integration",
    "douyin_route",
    "event_records",
    "ingest_douyin_route",
    "ingest_events",
    "ingest_kdniao",
    "ingest_kuaidi100",
    "ingest_records",
    "kdniao",
    "kuaidi100",
    "list_integrations",
    "plain_batch",
    "retry_subscription",
    "send_due_subscriptions",
    "shop_feeds",
    "subscription_counts",
    "subscription_line",
    "troubled_subscriptions",
]
