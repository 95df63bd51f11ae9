"""A sweep's LocalCluster says nothing about Dask's default dashboard port being taken.

A second sweep (or any Dask on the machine) holding 8787 made the scheduler warn "Port 8787 is
already in use. Perhaps you already have a cluster running?": noise, since we show no dashboard.
pytest turns warnings into errors here, so the warning fails the test.
"""

from __future__ import annotations

import socket
from contextlib import suppress

from framework.research.sweep_cluster import _local


def test_a_taken_8787_is_no_warning() -> None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with suppress(OSError):  # already held by someone else: taken either way
        holder.bind(("", 8787))
        holder.listen(1)
    try:
        cluster, client = _local(1)
        try:
            address = client.scheduler_info()["address"]
            assert address.startswith("tcp://127.0.0.1:")
        finally:
            client.close()
            cluster.close()
    finally:
        holder.close()
