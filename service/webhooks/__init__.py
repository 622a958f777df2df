"""Webhooks: signing and the dispatcher that sends the events of the outbox (`service.store.outbox`)."""
