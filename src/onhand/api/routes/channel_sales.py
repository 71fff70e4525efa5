"""Sales and refunds reported by stores and e-commerce channels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas_channels import ChannelSalesCreate, ChannelSalesRead
from onhand.services import channel_sales

router = APIRouter(tags=["channel sales"])


@router.post(
    "/channel-sales",
    response_model=ChannelSalesRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Every line was posted before: nothing new"}},  # type: ignore[dict-item]
)
def ingest_sales(body: ChannelSalesCreate, db: DB, actor: CurrentActor, response: Response) -> Any:
    """Post a batch of sale and refund lines from a store, all new lines as one posting (all or
    nothing). A line is posted once per channel and external id: sent again with the same
    content it is reported as a duplicate, with other content it refuses the batch (409)."""
    result = channel_sales.ingest_sales(
        db,
        actor,
        channel=body.channel,
        store=body.store,
        lines=[channel_sales.ChannelLine(**x.model_dump()) for x in body.lines],
    )
    if result["posting_id"] is None:
        response.status_code = status.HTTP_200_OK
    return result
