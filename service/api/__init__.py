"""The HTTP interface: `create_app(settings)` builds a FastAPI app around the engine and the store."""
