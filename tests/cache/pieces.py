"""The small site the cache tests read: two pieces by one author, one in a category."""

from tests.content import Content


async def two_pieces(content: Content) -> None:
    author = await content.author("Juni Kim")
    category = await content.category("Inter-Korean")
    await content.publication("Cached piece", authors=[author], categories=[category])
    await content.publication("Other piece", authors=[author])
