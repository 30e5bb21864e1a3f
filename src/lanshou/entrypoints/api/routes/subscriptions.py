"""Tracking subscriptions (administrators): each shop's aggregator, the subscriptions that need a
person, and sending a failed one again."""

from __future__ import annotations

from fastapi import APIRouter

from lanshou.domain.roles import Role
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_tracking import (
    ShopTrackingFeedIn,
    ShopTrackingFeedPublic,
    TrackingSubscriptionPublic,
)
from lanshou.entrypoints.params import DbId
from lanshou.errors import PermissionDenied
from lanshou.feeds import (
    configure_shop_feed,
    retry_subscription,
    subscription_line,
    troubled_subscriptions,
)
from lanshou.identity import Principal

router = APIRouter(tags=["feeds"])
_REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorPublic},
    403: {"model": ErrorPublic},
    404: {"model": ErrorPublic},
    422: {"model": ErrorPublic},
}


@router.put(
    "/shops/{shop_id}/tracking-feed", response_model=ShopTrackingFeedPublic, responses=_REFUSALS
)
def set_shop_feed(
    shop_id: DbId, body: ShopTrackingFeedIn, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ShopTrackingFeedPublic:
    """Subscribe the shop's waybills at this aggregator account from now on (null: at none)."""
    row = configure_shop_feed(
        db,
        caller,
        shop_id=shop_id,
        integration_id=body.integration_id,
        sender_phone=body.sender_phone,
        now=runtime.clock.now(),
    )
    return ShopTrackingFeedPublic(
        shop_id=shop_id,
        integration_id=row.integration_id if row else None,
        sender_phone_set=bool(row and row.sender_phone),
    )


def _admin(caller: Principal) -> None:
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may see tracking subscriptions")


@router.get(
    "/tracking/subscriptions",
    response_model=list[TrackingSubscriptionPublic],
    responses=_REFUSALS,
)
def subscriptions(caller: CallerDep, db: DbDep) -> list[TrackingSubscriptionPublic]:
    """Subscriptions waiting for a retry, stalled (快递100 ``abort``) or failed, newest first."""
    _admin(caller)
    return [TrackingSubscriptionPublic(**vars(line)) for line in troubled_subscriptions(db)]


@router.post(
    "/tracking/subscriptions/{subscription_id}/retry",
    response_model=TrackingSubscriptionPublic,
    responses=_REFUSALS,
)
def retry(
    subscription_id: DbId, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> TrackingSubscriptionPublic:
    """Send a failed or stalled subscription again at the worker's next run."""
    retry_subscription(db, caller, subscription_id, runtime.clock.now())
    return TrackingSubscriptionPublic(**vars(subscription_line(db, subscription_id)))
