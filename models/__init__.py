"""Colophon's content model. Importing this package registers every table on `metadata`."""

from models.audit import AuditEvent, LoginThrottle
from models.author import Author
from models.base import metadata, utcnow
from models.content_state import ContentState
from models.footnote import Footnote
from models.publication import (
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationSlug,
    PublicationStatus,
    PublicationTag,
)
from models.publication_count import PublicationCount
from models.revision import Revision
from models.subscriber import Subscriber, SubscriberStatus
from models.syndication import (
    DeliveryStatus,
    PartnerKey,
    PublicationChange,
    RateLimitWindow,
    Webhook,
    WebhookDelivery,
)
from models.taxonomy import Category, Series, Tag
from models.user import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Author",
    "Category",
    "ContentState",
    "DeliveryStatus",
    "Footnote",
    "LoginThrottle",
    "PartnerKey",
    "Publication",
    "PublicationAuthor",
    "PublicationCategory",
    "PublicationChange",
    "PublicationCount",
    "PublicationSlug",
    "PublicationStatus",
    "PublicationTag",
    "RateLimitWindow",
    "Revision",
    "Role",
    "Series",
    "Subscriber",
    "SubscriberStatus",
    "Tag",
    "User",
    "Webhook",
    "WebhookDelivery",
    "metadata",
    "utcnow",
]
