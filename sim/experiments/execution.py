"""The one execution layer for every command that runs many simulations (sweep, sensitivity, compare,
calibrate, validate): a local pool of worker processes with one start method, one preload, one way of
leaving Ctrl-C to the parent and one way of shutting down. Dask clusters (`adoptsim sweep --scheduler`) are
the other executor and live in sim.experiments.sweep.

Workers start from a fork server (forking this process directly is unsafe once it runs threads: BLAS, a
GUI, Dask) that has imported the caller's modules and loaded the compiled kernels once, so workers do not
each spend seconds importing the model. Results never depend on the number of workers: callers collect
them by task, not by order of completion."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

KERNELS = "sim.warm_kernels"
"""Importing it loads the compiled kernels (sim/kernels.py) from Numba's cache."""


def run_seed(seed: int, index: int, stream: int | None = None) -> int:
    """The one seed scheme: the seed of run (or replicate) `index` under the root `seed`, an independent
    stream per run from `SeedSequence(seed, spawn_key=(index,))`, whatever the worker count or order. A
    `stream` keeps uses apart that must never share a run (calibration, re-scoring, validation):
    `SeedSequence(seed, spawn_key=(stream, index))`, the same as spawning child `index` of
    `SeedSequence(seed, spawn_key=(stream,))`."""
    import numpy as np

    key = (index,) if stream is None else (stream, index)
    return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1)[0])


def ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops the command and keeps or reports what is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def worker_pool(workers: int, preload: Sequence[str] = ()) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of `workers` processes whose fork server has imported `preload` and the kernels, or None when
    one worker suffices (the caller then runs its tasks here). On the way out, finished or interrupted, tasks
    not started are cancelled and the few in flight are waited for."""
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*preload, KERNELS])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=ignore_interrupts)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
