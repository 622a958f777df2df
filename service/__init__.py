"""Export-control screening service for Taiwanese exporters."""

__version__ = "0.1.0"
