"""All ORM models; importing this module registers every table on ``Base.metadata``."""

from lanshou.adapters.db.models.alerts import (
    AlertChannel,
    AlertCursor,
    AlertDelivery,
    AlertOutbox,
    AlertSubscription,
    Assignment,
)
from lanshou.adapters.db.models.analytics import (
    AnalyticsState,
    BreachRisk,
    ExposureSnapshot,
    LossDaily,
    PickupDaily,
    PickupLatency,
    PickupPercentile,
    PickupWindow,
    ViolationDaily,
)
from lanshou.adapters.db.models.appeals_extra import AppealEvent, ComplaintTask
from lanshou.adapters.db.models.base import Base
from lanshou.adapters.db.models.blobs import EvidenceBlob, EvidenceBlobChunk
from lanshou.adapters.db.models.cases import Appeal, AuditEvent, Communication, Complaint, Evidence
from lanshou.adapters.db.models.commerce import (
    Carrier,
    Courier,
    Order,
    OrderItem,
    Outlet,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
)
from lanshou.adapters.db.models.enforcement import (
    Deadline,
    Exemption,
    FineMark,
    LedgerEntry,
    Violation,
    Warning_,
)
from lanshou.adapters.db.models.feeds import FeedIntegration
from lanshou.adapters.db.models.identity import (
    ApiToken,
    LoginFailure,
    ShopMembership,
    User,
    WebSession,
)
from lanshou.adapters.db.models.inbox import InboxRecord, ReceiptViolation, TrackingReceipt
from lanshou.adapters.db.models.platforms import (
    PlatformCarrierCode,
    PlatformConnection,
    PlatformMessage,
    PlatformShipmentCall,
)
from lanshou.adapters.db.models.subscriptions import ShopTrackingFeed, TrackingSubscription

__all__ = [
    "AlertChannel",
    "AlertCursor",
    "AlertDelivery",
    "AlertOutbox",
    "AlertSubscription",
    "AnalyticsState",
    "ApiToken",
    "Appeal",
    "AppealEvent",
    "Assignment",
    "AuditEvent",
    "Base",
    "BreachRisk",
    "Carrier",
    "Communication",
    "Complaint",
    "ComplaintTask",
    "Courier",
    "Deadline",
    "Evidence",
    "EvidenceBlob",
    "EvidenceBlobChunk",
    "Exemption",
    "ExposureSnapshot",
    "FeedIntegration",
    "FineMark",
    "InboxRecord",
    "LedgerEntry",
    "LoginFailure",
    "LossDaily",
    "Order",
    "OrderItem",
    "Outlet",
    "PickupDaily",
    "PickupLatency",
    "PickupPercentile",
    "PickupWindow",
    "Platform",
    "PlatformCarrierCode",
    "PlatformConnection",
    "PlatformMessage",
    "PlatformShipmentCall",
    "ReceiptViolation",
    "Shipment",
    "Shop",
    "ShopMembership",
    "ShopTrackingFeed",
    "TrackingEvent",
    "TrackingReceipt",
    "TrackingSubscription",
    "User",
    "Violation",
    "ViolationDaily",
    "Warning_",
    "WebSession",
]
