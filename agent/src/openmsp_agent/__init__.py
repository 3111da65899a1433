"""OpenMSP host agent: metrics, inventory and signed commands over outbound HTTPS."""

__version__ = "0.1.0"
