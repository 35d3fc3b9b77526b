"""Salesforce's Pub/Sub API wire contract (``eventbus.v1``), loaded from pubsub_api.proto at
import time by grpcio-tools (no generated code is committed). Both the product's change-event
subscriber and the sandbox's Pub/Sub server use it, as both would use a vendor's client
library: it holds no product logic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc

_PROTO = Path(__file__).with_name("pubsub_api.proto")


def _load() -> tuple[Any, Any]:
    import sys

    folder = str(_PROTO.parent)
    sys.path.insert(0, folder)  # protoc resolves the file against sys.path
    try:
        return grpc.protos_and_services(_PROTO.name)
    finally:
        sys.path.remove(folder)


messages, services = _load()

__all__ = ["messages", "services"]
