"""OpenTelemetry tracing, as an option: `pip install 'export-screen[tracing]'` and
`EXPORT_SCREEN_TRACING_ENABLED=true`; spans go where the standard OTEL_* variables say (an OTLP endpoint,
OTEL_SERVICE_NAME, ...). Off by default, and the service needs none of these packages without it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


class TracingUnavailable(RuntimeError):
    """Tracing was asked for but its packages are not installed."""


def instrument(app: FastAPI, exporter: Any = None) -> None:
    """Trace every request of `app` (a span per request, named by its route), exporting with `exporter`
    (default: OTLP over HTTP, configured by the OTEL_* environment variables)."""
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        raise TracingUnavailable(
            "EXPORT_SCREEN_TRACING_ENABLED is set but OpenTelemetry is not installed: "
            "pip install 'export-screen[tracing]'") from exc
    provider = TracerProvider(resource=Resource.create({"service.name": "export-screen"}))
    if exporter is None:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:
            raise TracingUnavailable("the OTLP exporter is not installed: pip install "
                                     "'export-screen[tracing]'") from exc
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")
    trace.set_tracer_provider(provider)
