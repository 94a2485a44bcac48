"""The three ways publications are grouped: categories, series and tags."""

from sqlmodel import Field, SQLModel, Text

from models.entity import SluggedRow


class TaxonomyBase(SQLModel):
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)


class Category(SluggedRow, TaxonomyBase, table=True):
    __tablename__ = "categories"
    __table_args__ = {"sqlite_autoincrement": True}


class Series(SluggedRow, TaxonomyBase, table=True):
    __tablename__ = "series"
    __table_args__ = {"sqlite_autoincrement": True}


class Tag(SluggedRow, TaxonomyBase, table=True):
    __tablename__ = "tags"
    __table_args__ = {"sqlite_autoincrement": True}
