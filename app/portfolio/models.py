"""Portfolio: the opt-in public profile, per-award visibility and the earner's collections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.credentials.models import Award
from app.db import Base, TimestampMixin, UTCDateTime, utcnow


class PortfolioProfile(TimestampMixin, Base):
    """One teacher's public profile settings. Off by default; ``handle`` is stored
    lower-cased, so the unique constraint makes it unique regardless of case, and a
    changed handle frees the old one at once (there is no history of handles)."""

    __tablename__ = "portfolio_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    handle: Mapped[str | None] = mapped_column(String(40), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str | None] = mapped_column(String(200))
    headline: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()

    @property
    def shown_name(self) -> str:
        return self.display_name or self.user.name


class AwardVisibility(Base):
    """An award the earner shows on her public profile (a row means visible)."""

    __tablename__ = "portfolio_award_visibility"

    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    award: Mapped[Award] = relationship()


class Collection(TimestampMixin, Base):
    """A named, ordered group of one teacher's awards; an award may be in several."""

    __tablename__ = "portfolio_collection"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="CollectionItem.position"
    )


class CollectionItem(Base):
    """One award in one collection, at a position."""

    __tablename__ = "portfolio_collection_item"

    collection_id: Mapped[int] = mapped_column(ForeignKey("portfolio_collection.id", ondelete="CASCADE"),
                                               primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    collection: Mapped[Collection] = relationship(back_populates="items")
    award: Mapped[Award] = relationship()
