from sqlmodel import Field, SQLModel, Text

from models.entity import SluggedRow


class AuthorBase(SQLModel):
    name: str = Field(max_length=200)
    job_title: str | None = Field(default=None, max_length=300)
    bio: str | None = Field(default=None, sa_type=Text)


class Author(SluggedRow, AuthorBase, table=True):
    __tablename__ = "authors"
    __table_args__ = {"sqlite_autoincrement": True}
