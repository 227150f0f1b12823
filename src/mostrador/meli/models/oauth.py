"""OAuth token responses (§2.2, §2.3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ._base import MeliModel

__all__ = ["TokenResponse"]


class TokenResponse(MeliModel):
    """Answer of ``POST /oauth/token`` for both the code exchange and the refresh."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str | None = None
    user_id: int
    # Only returned when the app has the offline_access scope (§2.2).
    refresh_token: str | None = None

    @property
    def scopes(self) -> frozenset[str]:
        """The granted scopes (``offline_access``, ``read``, ``write``)."""
        return frozenset((self.scope or "").split())

    def expires_at(self, issued_at: datetime) -> datetime:
        """When the access token dies; always computed from ``expires_in`` (§2.2 says 6 h, was 3 h)."""
        return issued_at + timedelta(seconds=self.expires_in)
