"""Rate limits for every request but the health probes: per partner key (`X-Api-Key`) or per
client address, counted in each process and reconciled across processes in small batches
through the database or Redis. See docs/api.md, "Partner keys and rate limits"."""

from api.ratelimit.limiter import RateLimiter, create_rate_limiter
from api.ratelimit.middleware import RateLimitMiddleware

__all__ = ["RateLimitMiddleware", "RateLimiter", "create_rate_limiter"]
