"""export-screen's Python client: screen shipments, read the audit trail, decide, run batch jobs, manage
webhooks, and verify the webhooks the service sends. Depends on httpx and pydantic only."""

from export_screen_client.aio import AsyncClient
from export_screen_client.client import Client
from export_screen_client.errors import ApiProblem, InvalidSignature
from export_screen_client.models import (
    BatchItem,
    BatchJob,
    Decision,
    Delivery,
    Finding,
    ListStamp,
    NameHit,
    NameMatch,
    NewWebhook,
    Readiness,
    RulebookStamp,
    Screening,
    ScreeningRecord,
    ScreeningSummary,
    Verdict,
    Webhook,
)
from export_screen_client.retry import RetryPolicy
from export_screen_client.webhooks import verify_signature, verify_webhook

__all__ = [
    "ApiProblem", "AsyncClient", "BatchItem", "BatchJob", "Client", "Decision", "Delivery", "Finding",
    "InvalidSignature", "ListStamp", "NameHit", "NameMatch", "NewWebhook", "Readiness", "RetryPolicy",
    "RulebookStamp", "Screening", "ScreeningRecord", "ScreeningSummary", "Verdict", "Webhook",
    "verify_signature", "verify_webhook",
]
