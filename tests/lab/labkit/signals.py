"""Signals for the long-running lab programs (lab.py, soak.py, lab_bench.py).

SIGINT, SIGTERM and SIGHUP end a run through an exception, so the lab's teardown runs on every
path; the teardown itself ignores them, so a second Ctrl-C cannot cut it short and leave
namespaces behind. A run ended by signal N exits 128+N, as a shell would report it."""

import contextlib
import signal
import sys
from typing import Iterator, List

from labkit.netlab import Lab

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(Exception):
    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


def _raise_interrupted(signum, _frame):
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGNALS raise Interrupted; the previous handlers return afterwards."""
    old = {s: signal.signal(s, _raise_interrupted) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    old = {s: signal.signal(s, signal.SIG_IGN) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Like signals_ignored, but a signal that arrives within the block raises Interrupted once
    the block is done (a loop of labs must stop after the teardown, not go on)."""
    got: List[int] = []
    old = {s: signal.signal(s, lambda n, _f: got.append(n)) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if got:
        raise Interrupted(got[0])


def exit_code(e: BaseException) -> int:
    """128+N for a run ended by signal N, 130 for a KeyboardInterrupt, else 1."""
    if isinstance(e, Interrupted):
        return 128 + e.signum
    return 130 if isinstance(e, KeyboardInterrupt) else 1


class GuardedLab(Lab):
    """The lab whose teardown cannot be interrupted; what could not be removed is printed,
    prefixed with `program`."""

    def __init__(self, *args, program: str = "lab", **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program

    def teardown(self) -> List[str]:
        with signals_ignored():
            left = super().teardown()
        if left:
            print(f"{self.program}: teardown could not remove: {', '.join(left)}", file=sys.stderr)
        return left
