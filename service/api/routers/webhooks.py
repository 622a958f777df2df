"""Webhook subscriptions (admin): subscribe a URL to events, list them, see deliveries, disable.

The signing secret is in the answer to the creating POST only. The stored Idempotency-Key answer leaves
it out, so a replay never shows it again; a client that lost the answer disables the subscription and
creates another.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import AnyHttpUrl, BaseModel, Field, UrlConstraints

from service.api.deps import AdminDep, IdempotencyDep, SessionDep, StateDep
from service.api.errors import ApiError, InvalidRequest, NotFound, problem_responses
from service.api.recording import JSON, commit_answer, replay
from service.api.routing import CheckedRoute
from service.store.database import now
from service.store.outbox import EventType
from service.store.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
    add_subscription,
    deliveries_of,
    disable_subscription,
    get_subscription,
    list_subscriptions,
    retry_delivery,
    rotate_secret,
)
from service.webhooks.receivers import refusal

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["webhooks"])
WebhookId = Annotated[str, Path(description="Webhook subscription id (UUIDv7).", max_length=36)]
DeliveryId = Annotated[str, Path(description="Delivery id (UUIDv7).", max_length=36)]


class DeliveryNotRetryable(ApiError):
    """Only a failed or cancelled delivery of an active subscription can be sent again."""

    status, code, title = 409, "delivery_not_retryable", "This delivery cannot be sent again"
ReceiverUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])]


class WebhookRequest(BaseModel):
    """A receiver and the events it wants."""

    url: ReceiverUrl = Field(description="Where events are POSTed (http or https).")
    events: list[EventType] = Field(min_length=1, description="Event types to send; see docs/api.md.")
    description: str | None = Field(default=None, max_length=500, description="What the receiver is, for people.")


class Webhook(BaseModel):
    """A subscription as listed (never with its secret)."""

    id: str
    url: str
    events: list[EventType]
    description: str | None
    created_at: datetime
    disabled_at: datetime | None
    rotation_overlap_until: datetime | None = Field(
        default=None, description="Until when the key before the latest rotation still signs beside the new one.")


class NewWebhook(Webhook):
    """The answer to creating a subscription: the only time the signing secret is shown."""

    secret: str | None = Field(description="The signing secret (shown once; null in an Idempotency-Key replay).")


class SecretRotation(BaseModel):
    """How long the current secret keeps signing beside the new one."""

    keep_previous_seconds: int = Field(
        default=86_400, ge=0, le=7 * 86_400,
        description="Seconds the current secret stays valid beside the new one (0: replaced at once; at most a week).")


class Delivery(BaseModel):
    """One event sent (or to be sent) to a subscription, with its latest attempt."""

    id: str = Field(description="Delivery id; also in the X-Export-Screen-Delivery header.")
    event_id: str
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = Field(description="HTTP status of the latest attempt (null: no answer).")
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (pending only).")
    created_at: datetime
    delivered_at: datetime | None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _webhook(row: WebhookSubscription) -> Webhook:
    return Webhook(id=row.id, url=row.url, events=[EventType(e) for e in row.events], description=row.description,
                   created_at=_utc(row.created_at) or row.created_at, disabled_at=_utc(row.disabled_at),
                   rotation_overlap_until=_utc(row.previous_secret_until) if row.previous_secret else None)


def _delivery(row: WebhookDelivery) -> Delivery:
    pending = row.status == DeliveryStatus.PENDING
    return Delivery(
        id=row.id, event_id=row.event_id, event_type=EventType(row.event_type), status=DeliveryStatus(row.status),
        attempts=row.attempts, last_status_code=row.last_status_code, last_error=row.last_error,
        last_attempt_at=_utc(row.last_attempt_at), next_attempt_at=_utc(row.next_attempt_at) if pending else None,
        created_at=_utc(row.created_at) or row.created_at, delivered_at=_utc(row.delivered_at),
    )


@router.post("/webhooks", status_code=201, response_model=NewWebhook,
             responses=problem_responses(401, 403, 409, 413, 422, 503), summary="Subscribe a URL to events")
def create_webhook(body: WebhookRequest, caller: AdminDep, session: SessionDep, state: StateDep,
                   idempotency: IdempotencyDep) -> Response:
    """201 with the subscription and its signing secret, which is never shown again."""
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    why = refusal(str(body.url), allowed_hosts=state.settings.webhook_allowed_hosts,
                  private=state.settings.webhook_private_receivers)
    if why is not None:
        raise InvalidRequest(f"This receiver is not allowed: {why}.",
                             [{"field": "url", "value": str(body.url), "message": why}])
    row = add_subscription(session, url=str(body.url), events=body.events, description=body.description,
                           created_by_key_id=caller.key_id)
    view = _webhook(row)
    with state.writing():  # the stored answer has no secret: a replay must not show it again
        answer = commit_answer(session, caller, idempotency, 201, NewWebhook(**view.model_dump(), secret=None)
                               .model_dump_json().encode())
    if "Idempotent-Replayed" in answer.headers:  # a concurrent request with the key won: ours was rolled back
        return answer
    return Response(NewWebhook(**view.model_dump(), secret=row.secret).model_dump_json(), status_code=201,
                    media_type=JSON, headers={"Location": f"/v1/webhooks/{row.id}"})


@router.get("/webhooks", response_model=list[Webhook], responses=problem_responses(401, 403, 503),
            summary="Every webhook subscription")
def list_webhooks(caller: AdminDep, session: SessionDep) -> list[Webhook]:
    """Oldest first, disabled ones included; secrets are never listed."""
    return [_webhook(row) for row in list_subscriptions(session)]


def _subscription(session: SessionDep, webhook_id: str) -> WebhookSubscription:
    row = get_subscription(session, webhook_id)
    if row is None:
        raise NotFound(f"No webhook subscription with id {webhook_id!r}.")
    return row


@router.get("/webhooks/{webhook_id}", response_model=Webhook, responses=problem_responses(401, 403, 404, 422, 503),
            summary="One webhook subscription")
def read_webhook(webhook_id: WebhookId, caller: AdminDep, session: SessionDep) -> Webhook:
    """The subscription, without its secret."""
    return _webhook(_subscription(session, webhook_id))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[Delivery],
            responses=problem_responses(401, 403, 404, 422, 503), summary="Recent deliveries of a subscription")
def list_deliveries(
    webhook_id: WebhookId, caller: AdminDep, session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Delivery]:
    """Newest first: status, attempts, the latest answer or error, and when the next attempt is due."""
    _subscription(session, webhook_id)
    return [_delivery(row) for row in deliveries_of(session, webhook_id, limit, status)]


@router.post("/webhooks/{webhook_id}:disable", response_model=Webhook,
             responses=problem_responses(401, 403, 404, 409, 413, 422, 503), summary="Stop sending to a subscription")
def disable_webhook(webhook_id: WebhookId, caller: AdminDep, session: SessionDep, state: StateDep,
                    idempotency: IdempotencyDep) -> Response:
    """Nothing more is sent; deliveries still waiting are cancelled. Disabling twice is harmless."""
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    row = _subscription(session, webhook_id)
    with state.writing():
        disable_subscription(session, row)
        session.flush()
        return commit_answer(session, caller, idempotency, 200, _webhook(row).model_dump_json().encode())


@router.post("/webhooks/{webhook_id}:rotate-secret", response_model=NewWebhook,
             responses=problem_responses(401, 403, 404, 409, 413, 422, 503), summary="Give a subscription a new secret")
def rotate_webhook_secret(webhook_id: WebhookId, caller: AdminDep, session: SessionDep, state: StateDep,
                          idempotency: IdempotencyDep, body: SecretRotation | None = None) -> Response:
    """The new secret, shown once. Deliveries are signed with both secrets for a while
    (`rotation_overlap_until`, a day by default): the receiver switches without refusing a delivery."""
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    row = _subscription(session, webhook_id)
    keep = timedelta(seconds=(body or SecretRotation()).keep_previous_seconds)
    with state.writing():
        secret = rotate_secret(session, row, keep)
        session.flush()
        view = _webhook(row)
        answer = commit_answer(session, caller, idempotency, 200, NewWebhook(**view.model_dump(), secret=None)
                               .model_dump_json().encode())
    if "Idempotent-Replayed" in answer.headers:
        return answer
    return Response(NewWebhook(**view.model_dump(), secret=secret).model_dump_json(), status_code=200,
                    media_type=JSON)


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}:retry", response_model=Delivery,
             responses=problem_responses(401, 403, 404, 409, 413, 422, 503),
             summary="Send a failed or cancelled delivery again")
def retry_webhook_delivery(webhook_id: WebhookId, delivery_id: DeliveryId, caller: AdminDep, session: SessionDep,
                           state: StateDep, idempotency: IdempotencyDep) -> Response:
    """Back to `pending` with a fresh attempt budget and the same delivery id; the dispatcher sends it next."""
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    subscription = _subscription(session, webhook_id)
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.subscription_id != subscription.id:
        raise NotFound(f"No delivery with id {delivery_id!r} for this subscription.")
    if subscription.disabled_at is not None:
        raise DeliveryNotRetryable("The subscription is disabled; create a new one to receive events again.")
    with state.writing():
        if not retry_delivery(session, row.id, now()):
            raise DeliveryNotRetryable(f"The delivery is {row.status}; only failed or cancelled ones are sent again.")
        session.flush()
        session.refresh(row)
        return commit_answer(session, caller, idempotency, 200, _delivery(row).model_dump_json().encode())
