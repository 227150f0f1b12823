"""Connected Mercado Libre seller accounts and pending OAuth connections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class Account(Base):
    """A connected Mercado Libre seller account; tokens encrypted at rest."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    meli_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    nickname: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[str] = mapped_column(String(8))
    access_token_enc: Mapped[str] = mapped_column(Text, default="")
    refresh_token_enc: Mapped[str] = mapped_column(Text, default="")
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    refresh_lease_owner: Mapped[str | None] = mapped_column(String(120))
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        String(30), default="active"
    )  # active|refresh_failing|revoked|disconnected
    status_detail: Mapped[str | None] = mapped_column(Text)
    last_notification_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the account's last sweep started, whatever its outcome: a scheduled pass takes the accounts
    # swept longest ago (reconciliation/sweeps.py).
    swept_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    bot_config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OAuthState(Base):
    """A pending OAuth connect: `state` to compare on return and the PKCE verifier."""

    __tablename__ = "oauth_states"
    state: Mapped[str] = mapped_column(String(100), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    code_verifier: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
