"""An in-process LRU of finished public answers, bounded in bytes."""

from collections import OrderedDict
from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]
# Scheme, host, path, query, (for GraphQL, which answers in the media type asked for) the
# Accept header, and a POST's body (`posted.body_key`; empty for a GET): absolute links in
# an answer name the host it was asked on.
Key = tuple[str, bytes, str, bytes, bytes, bytes]


@dataclass(frozen=True, slots=True)
class Prepared:
    """An entry's headers as a hit answers them to one Origin (or none): every header but
    the per-request ones (the rate limit's, the request id), built once."""

    full: Headers
    not_modified: Headers


@dataclass(slots=True)
class Entry:
    version: int
    # The next scheduled moment when it was rendered (POSIX seconds): it shows nothing of
    # what appears then.
    expires_at: float | None
    status: int
    headers: Headers  # as the application set them, without Content-Length
    body: bytes
    etag: str | None
    # Worth gzip (`api.compression`); the gzip form is made the first time it is asked for.
    compressible: bool = False
    gzipped: bytes | None = None
    # Keyed by the request's Origin and whether the answer is gzipped.
    prepared: dict[tuple[bytes | None, bool], Prepared] = field(default_factory=dict)

    @property
    def size(self) -> int:
        # The prepared lists hold the same headers again, a few times at most.
        headers = 3 * sum(len(k) + len(v) for k, v in self.headers)
        return len(self.body) + len(self.gzipped or b"") + headers + 200


class ResponseStore:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: Entry) -> None:
        if _cost(key, entry) > self.max_bytes // 4:
            return  # one huge answer must not empty the cache
        self.discard(key)
        self.entries[key] = entry
        self.used += _cost(key, entry)
        self._shrink()

    def attach_gzip(self, key: Key, entry: Entry, gzipped: bytes) -> None:
        """Keep the entry's gzip form, counted in the bound if the entry is still kept."""
        kept = self.entries.get(key) is entry
        if kept:
            self.used -= _cost(key, entry)
        entry.gzipped = gzipped
        if kept:
            self.used += _cost(key, entry)
            self._shrink()

    def _shrink(self) -> None:
        while self.used > self.max_bytes and self.entries:
            key, oldest = self.entries.popitem(last=False)
            self.used -= _cost(key, oldest)

    def discard(self, key: Key) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.used -= _cost(key, old)


def _cost(key: Key, entry: Entry) -> int:
    # A POST's key holds its whole body.
    return entry.size + len(key[5])
