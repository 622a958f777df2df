"""A local Dask cluster for the tests: two worker processes of one thread, as on two small machines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from service.batch.cluster import worker_loads


@contextmanager
def local_cluster() -> Iterator[str]:
    """Start the cluster; yield the scheduler's address."""
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0",
                      worker_dashboard_address=None) as cluster:
        yield str(cluster.scheduler_address)


def loads_per_worker(address: str) -> list[int]:
    """How often each worker process loaded a screening context."""
    with Client(address, set_as_default=False) as client:
        return sorted(client.run(worker_loads).values())
