"""The one execution layer for every command that runs many simulations (sweep, sensitivity, compare,
calibrate, validate): a local pool of worker processes with one start method, one preload, one way of
leaving Ctrl-C to the parent and one way of shutting down; or, given a scheduler's address (`--scheduler`),
a Dask cluster behind the same `concurrent.futures` interface, so every command runs on both alike. (The
sweep keeps its runs on the cluster under names of their own, so that a resumed sweep finds them: it takes
the client from `connect`.)

Workers start from a fork server (forking this process directly is unsafe once it runs threads: BLAS, a
GUI, Dask) that has imported the caller's modules and loaded the compiled kernels once, so workers do not
each spend seconds importing the model. Results never depend on the number of workers: callers collect
them by task, not by order of completion."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from sim.errors import InputError

KERNELS = "sim.warm_kernels"
"""Importing it loads the compiled kernels (sim/kernels.py) from Numba's cache."""
CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler to answer."""


def run_seed(seed: int, index: int, stream: int | None = None) -> int:
    """The one seed scheme: the seed of run (or replicate) `index` under the root `seed`, an independent
    stream per run from `SeedSequence(seed, spawn_key=(index,))`, whatever the worker count or order. A
    `stream` keeps uses apart that must never share a run (calibration, re-scoring, validation):
    `SeedSequence(seed, spawn_key=(stream, index))`, the same as spawning child `index` of
    `SeedSequence(seed, spawn_key=(stream,))`."""
    import numpy as np

    key = (index,) if stream is None else (stream, index)
    return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1)[0])


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is done, then raise it (off the main thread, where signal handlers
    cannot be set, nothing is held back).

    A terminal's Ctrl-C goes to the whole process group. While the fork server imported its modules, or a
    worker was being forked and unpickled its start-up state, a Ctrl-C (or the pool's shutdown it caused)
    made them print a traceback under the command's own message. So a pool is started whole, with Ctrl-C
    held back, and only then can it be stopped."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    handler = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
    if received:
        raise KeyboardInterrupt


def start_fork_server_ignoring_ctrl_c() -> None:
    """Start the fork server (if it is not running) with SIGINT ignored from its first instruction: an
    ignored signal stays ignored across fork and exec, and Python then keeps it so, in the server and in every
    worker it forks. (A handler would not survive the exec; the server ignores SIGINT by itself only after its
    imports.) Ignored here for the few milliseconds the start takes; main thread only."""
    import threading
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, handler)


def stream_generator(seed: int, stream: int):
    """A NumPy generator for one use of a root `seed` that is not a run (the worlds a comparison's uncertain
    inputs draw): `SeedSequence(seed, spawn_key=(stream,))`, apart from every run's seed by its stream."""
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops the command and keeps or reports what is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def connect(address: str) -> Any:
    """A client of the Dask scheduler at `address`, or a plain message saying how to start one."""
    from sim.extras import require

    require("cluster", f"--scheduler {address}")
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise InputError(
            f"--scheduler {address}: cannot reach a Dask scheduler there ({exc}). Start one with "
            "`dask scheduler --no-dashboard`, workers with `dask worker ADDRESS`, and give the address the "
            "scheduler prints, such as tcp://10.0.0.5:8786."
        ) from None


@contextmanager
def worker_pool(
    workers: int, preload: Sequence[str] = (), scheduler: str | None = None
) -> Iterator[Executor | None]:
    """A pool of `workers` processes whose fork server has imported `preload` and the kernels, or None when
    one worker suffices (the caller then runs its tasks here); with a `scheduler` address, the Dask cluster
    there instead, whatever `workers` says. On the way out, finished or interrupted, tasks not started are
    cancelled and the few in flight are waited for (on a cluster, cancelled)."""
    if scheduler is not None:
        client = connect(scheduler)
        executor = client.get_executor()
        try:
            yield executor
        finally:
            executor.shutdown(wait=False)  # cancels what is not finished
            client.close()
        return
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*preload, KERNELS])
    pool = None
    try:
        with interrupts_deferred():
            start_fork_server_ignoring_ctrl_c()
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=ignore_interrupts)
            list(pool.map(int, range(workers)))  # every worker started (one per task submitted while none idles)
        yield pool
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def map_tasks(
    function: Callable[..., Any],
    tasks: Sequence[tuple],
    workers: int = 1,
    on_result: Callable[[int, Any], None] | None = None,
    pool: Executor | None = None,
    scheduler: str | None = None,
    on_lost: Callable[[int, BaseException], Any] | None = None,
    preload: Sequence[str] = (),
) -> list:
    """`function(*task)` for every task, the results in task order whoever ran them and in whatever order
    they finished: in `pool` if given (a caller running many batches keeps one), else in a pool of `workers`
    processes (or the Dask cluster at `scheduler`) started for these tasks, whose fork server imports
    `function`'s module and `preload`, or here when one worker suffices. `on_result(index, result)` is called
    as each task finishes, for progress or to record it. A task the pool itself failed (its worker died) raises,
    or with `on_lost` gives `on_lost(index, error)` as its result and the others go on."""
    if pool is None and (scheduler is not None or min(workers, len(tasks)) > 1):
        with worker_pool(min(workers, len(tasks)), [*preload, function.__module__], scheduler) as started:
            return map_tasks(function, tasks, on_result=on_result, pool=started, on_lost=on_lost)
    results: list = [None] * len(tasks)
    report = on_result or (lambda index, result: None)
    if pool is None:
        for index, task in enumerate(tasks):
            results[index] = function(*task)
            report(index, results[index])
        return results
    futures = {pool.submit(function, *task): index for index, task in enumerate(tasks)}
    for future in as_completed(futures):
        index = futures[future]
        try:
            results[index] = future.result()
        except (Exception, CancelledError) as exc:
            if on_lost is None:
                raise
            results[index] = on_lost(index, exc)
        report(index, results[index])
    return results
