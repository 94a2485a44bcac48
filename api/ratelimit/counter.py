"""Counting requests per bucket and one-minute window, in the process, between syncs.

Each bucket (a partner key, a client address) holds what the shared store last said about
its window (`shared`, every process's synced counts, ours included), what this process has
sent and not yet heard back about (`inflight`), and what it has counted since (`pending`).
Their sum never exceeds the true count, so a request is refused only once the budget is
really spent. Requests are admitted without a round trip until a bucket's unsynced count
reaches its batch size; then it must sync first. So each process holds at most one batch
per bucket that the others cannot see, and the budget is overshot by less than
`processes x batch` requests in a window (docs/api.md, "Partner keys and rate limits").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

WINDOW_SECONDS = 60
# How many syncs after its last request a bucket is still read back from the store, with
# nothing to send: a process that went quiet still learns what the others counted, so its
# `RateLimit-Remaining` stops overstating the budget within a few syncs.
REFRESHES = 3


@dataclass(slots=True)
class Bucket:
    window: int
    batch: int
    shared: int = 0
    inflight: int = 0
    pending: int = 0
    refreshes: int = 0  # syncs left that read this bucket back even with nothing pending


class Decision(NamedTuple):
    """The answer for one request, and what the `RateLimit-*` headers say. (A named tuple:
    one is made per request, and it builds several times faster than a frozen dataclass.)"""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends, at least 1

    def headers(self) -> list[tuple[bytes, bytes]]:
        return limit_headers(self.limit, self.remaining, self.reset)


def limit_headers(limit: int, remaining: int, reset: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", b"%d" % limit),
        (b"ratelimit-remaining", b"%d" % remaining),
        (b"ratelimit-reset", b"%d" % reset),
    ]


@dataclass(frozen=True, slots=True)
class WindowCount:
    """Requests one process counted in a bucket's window, on their way to the store."""

    name: str
    window: int
    count: int


def window_of(now: float) -> int:
    return int(now // WINDOW_SECONDS)


def seconds_left(window: int, now: float) -> int:
    """Whole seconds until the window ends, rounded up: at least 1 within the window."""
    return (window + 1) * WINDOW_SECONDS - int(now)


class Counter:
    """The process's counts. Not thread-safe, and it need not be: the event loop runs one
    request's check at a time, and nothing here awaits."""

    def __init__(self, batch_percent: float) -> None:
        self.batch_fraction = batch_percent / 100
        self.buckets: dict[str, Bucket] = {}

    def batch_size(self, limit: int) -> int:
        return max(1, int(limit * self.batch_fraction))

    def take(self, name: str, limit: int, now: float, *, bounded: bool = True) -> Decision | None:
        """Count one request in `name` if the budget allows. None when the bucket has a
        whole batch unsynced: sync, then ask again. `bounded=False` (the store is down)
        admits without that bound, each process on its own counts."""
        remaining = self.admit(name, limit, now, bounded=bounded)
        if remaining is not None:
            return Decision(True, limit, remaining, seconds_left(window_of(now), now))
        return self.exhausted(name, limit, now)  # else a batch is due: None

    def admit(self, name: str, limit: int, now: float, *, bounded: bool = True) -> int | None:
        """`take` for callers that need only what is left after counting this request
        (no decision to build): None, and nothing counted, when `take` would not admit."""
        window = int(now // WINDOW_SECONDS)
        bucket = self.buckets.get(name)
        if bucket is None or bucket.window != window:
            bucket = self.buckets[name] = Bucket(window, self.batch_size(limit))
        unsynced = bucket.inflight + bucket.pending
        used = bucket.shared + unsynced
        if used >= limit or (bounded and unsynced >= bucket.batch):
            return None
        bucket.pending += 1
        bucket.refreshes = REFRESHES
        return limit - used - 1

    def exhausted(self, name: str, limit: int, now: float) -> Decision | None:
        """A refusal if the bucket's budget is spent, without counting anything."""
        window = window_of(now)
        bucket = self.buckets.get(name)
        if bucket is None or bucket.window != window:
            return None
        if bucket.shared + bucket.inflight + bucket.pending < limit:
            return None
        return Decision(False, limit, 0, seconds_left(window, now))

    def needs_sync(self, name: str, limit: int) -> bool:
        bucket = self.buckets.get(name)
        return bucket is not None and bucket.inflight + bucket.pending >= bucket.batch

    def begin_sync(self, now: float) -> list[WindowCount]:
        """Move every pending count of the current window in flight (a bucket used in the
        last REFRESHES syncs goes too, with a count of 0, to read the others' counts back),
        and forget buckets of past windows (their counts no longer limit anyone)."""
        window = window_of(now)
        batch = []
        for name, bucket in list(self.buckets.items()):
            if bucket.window != window:
                del self.buckets[name]
            elif bucket.pending or bucket.refreshes:
                batch.append(WindowCount(name, window, bucket.pending))
                bucket.inflight += bucket.pending
                bucket.pending = 0
                bucket.refreshes = max(0, bucket.refreshes - 1)
        return batch

    def end_sync(self, batch: Iterable[WindowCount], totals: dict[tuple[str, int], int]) -> None:
        """The store's totals are in: they include what was in flight."""
        for sent in batch:
            bucket = self.buckets.get(sent.name)
            if bucket is None or bucket.window != sent.window:
                continue
            bucket.inflight -= sent.count
            total = totals.get((sent.name, sent.window))
            bucket.shared = (
                bucket.shared + sent.count if total is None else max(bucket.shared, total)
            )

    def abort_sync(self, batch: Iterable[WindowCount]) -> None:
        """The store did not answer: the counts go back to pending, to be sent again."""
        for sent in batch:
            bucket = self.buckets.get(sent.name)
            if bucket is not None and bucket.window == sent.window:
                bucket.inflight -= sent.count
                bucket.pending += sent.count
