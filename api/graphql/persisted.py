"""Persisted queries: Apollo's automatic persisted queries (APQ), and an allow-list mode.

APQ: a client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
document; an unknown hash answers PERSISTED_QUERY_NOT_FOUND, the client sends the document
and the hash once, and from then on the hash alone (also by GET, which a CDN can cache).

Allow-list mode: for anonymous clients only the documents of a manifest deployed with the
frontend run; any other document answers PERSISTED_QUERY_NOT_ALLOWED, and nothing new can be
registered. Authenticated clients (editors' tools) may run any document.
"""

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis

from api.graphql.errors import Code

APQ_VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    """A request the persisted-query rules refuse; answered as a GraphQL request error."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class DocumentStore(Protocol):
    """Where registered documents live: in-process by default; a shared store (Redis, the
    database) lets every process answer a hash any of them has seen."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, document: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryStore:
    """An in-process store, least recently used first out: a client that finds its hash
    forgotten simply sends the document again."""

    def __init__(self, max_documents: int = 5_000) -> None:
        self.max_documents = max_documents
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, key: str) -> str | None:
        document = self._documents.get(key)
        if document is not None:
            self._documents.move_to_end(key)
        return document

    async def put(self, key: str, document: str) -> None:
        self._documents[key] = document
        self._documents.move_to_end(key)
        while len(self._documents) > self.max_documents:
            self._documents.popitem(last=False)

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True)
class PersistedQueries:
    store: DocumentStore
    # The allow-list, by sha256 of each document; None runs any document (APQ only).
    allowed: Mapping[str, str] | None = None

    async def resolve(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        *,
        authenticated: bool = False,
    ) -> str | None:
        """The document to run for a request's `query` and `extensions`. The allow-list
        restricts anonymous clients only: an editor's tooling sends documents of its own."""
        persisted = (extensions or {}).get("persistedQuery")
        restricted = self.allowed is not None and not authenticated
        if persisted is None:
            if restricted and query is not None and digest(query) not in (self.allowed or {}):
                raise PersistedQueryError(
                    Code.PERSISTED_QUERY_NOT_ALLOWED,
                    "Only registered documents run here: send a persisted query's hash.",
                )
            return query
        key = _requested_hash(persisted)
        if query is None:
            found = self.allowed.get(key) if self.allowed is not None else await self.store.get(key)
            if found is None:
                # Apollo's clients look for this exact message as well as the code.
                raise PersistedQueryError(Code.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return found
        if digest(query) != key:
            raise PersistedQueryError(Code.BAD_REQUEST, "provided sha does not match query")
        if self.allowed is not None:
            # Nothing is registered over HTTP in allow-list mode, not even by editors.
            if restricted and key not in self.allowed:
                raise PersistedQueryError(
                    Code.PERSISTED_QUERY_NOT_ALLOWED, "This document is not registered."
                )
            return query
        await self.store.put(key, query)
        return query


def _requested_hash(persisted: object) -> str:
    if not isinstance(persisted, Mapping) or persisted.get("version") != APQ_VERSION:
        raise PersistedQueryError(Code.BAD_REQUEST, "Unsupported persisted query version")
    key = persisted.get("sha256Hash")
    if not isinstance(key, str) or not _SHA256.fullmatch(key):
        raise PersistedQueryError(Code.BAD_REQUEST, "sha256Hash must be 64 lowercase hex digits")
    return key


def load_manifest(path: Path) -> dict[str, str]:
    """The documents of a manifest, by sha256: Apollo's persisted query manifest
    (`{"format": "apollo-persisted-query-manifest", "operations": [{"body": …}]}`) or a
    plain JSON object of id → document (Relay's `persist-output`)."""
    data = json.loads(path.read_text())
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        documents = [operation["body"] for operation in data["operations"]]
    elif isinstance(data, dict):
        documents = list(data.values())
    else:
        raise ValueError(f"{path}: not a persisted query manifest")
    if not all(isinstance(document, str) for document in documents):
        raise ValueError(f"{path}: every document must be a string")
    return {digest(document): document for document in documents}


class RedisStore:
    """Documents shared by every process through Redis (`COLOPHON_REDIS_URL`), behind an
    in-process store so a hash seen once costs no network round trip again."""

    PREFIX = "colophon:apq:"
    # A document nobody asked for in this long is forgotten; its client sends it again.
    TTL_SECONDS = 30 * 24 * 3600

    def __init__(self, url: str, local: MemoryStore | None = None) -> None:
        self.redis = Redis.from_url(url)
        self.local = local or MemoryStore()

    async def get(self, key: str) -> str | None:
        document = await self.local.get(key)
        if document is not None:
            return document
        stored = await self.redis.get(self.PREFIX + key)
        if stored is None:
            return None
        document = stored.decode() if isinstance(stored, bytes) else str(stored)
        await self.local.put(key, document)
        return document

    async def put(self, key: str, document: str) -> None:
        await self.local.put(key, document)
        await self.redis.set(self.PREFIX + key, document, ex=self.TTL_SECONDS)

    async def aclose(self) -> None:
        await self.redis.aclose()


def document_store(redis_url: str | None) -> DocumentStore:
    return RedisStore(redis_url) if redis_url else MemoryStore()
