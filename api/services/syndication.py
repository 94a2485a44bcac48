"""The terms on which partners may republish a publication: the license and the credit to
give. One place, so the REST payloads and the three feeds always say the same thing."""

from dataclasses import dataclass

from api.settings import Settings


@dataclass(frozen=True, slots=True)
class Terms:
    license: str
    license_url: str | None
    attribution: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "license": self.license,
            "license_url": self.license_url,
            "attribution": self.attribution,
        }

    @property
    def rights(self) -> str:
        """One line for a feed's rights element: the license, where to read it, the credit."""
        license = self.license.rstrip()
        if self.license_url:
            license += f" ({self.license_url})"
        if not license.endswith((".", "!", "?")):
            license += "."
        return f"{license} {self.attribution}".strip()


def terms_for(settings: Settings, *, title: str, url: str) -> Terms:
    """The terms for one publication; `url` is its canonical URL."""
    return Terms(
        license=settings.syndication_license,
        license_url=settings.syndication_license_url,
        attribution=settings.attribution_for(title=title, url=url),
    )


def site_rights(settings: Settings) -> str:
    """The license alone, for a feed's channel: each item carries its own credit."""
    license = settings.syndication_license
    if settings.syndication_license_url:
        license += f" ({settings.syndication_license_url})"
    return license
