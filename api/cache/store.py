"""An in-process LRU of finished public answers, bounded in bytes."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Entry:
    version: int
    # The next scheduled moment when it was rendered: it shows nothing of what appears then.
    expires_at: datetime | None
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes | None

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class ResponseStore:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, ...]) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        if entry.size > self.max_bytes // 4:
            return  # one huge answer must not empty the cache
        self.discard(key)
        self.entries[key] = entry
        self.used += entry.size
        while self.used > self.max_bytes and self.entries:
            _, oldest = self.entries.popitem(last=False)
            self.used -= oldest.size

    def discard(self, key: tuple[str, ...]) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.used -= old.size
