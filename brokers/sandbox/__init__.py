"""A loopback Alpaca-compatible paper server: rehearse `trade paper` offline, test the adapter."""

from brokers.sandbox.control import SandboxControl
from brokers.sandbox.faults import Fault, FaultKind
from brokers.sandbox.server import SandboxServer

__all__ = ["Fault", "FaultKind", "SandboxControl", "SandboxServer"]
