"""OAuth 2.0 authorization code flow with optional PKCE (§2)."""

from __future__ import annotations

from urllib.parse import urlencode

from . import models
from .requester import Requester

__all__ = ["OAuthApi"]


class OAuthApi(Requester):
    """Consent URL, code exchange and refresh; token bodies are form-encoded (§2.2)."""

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None = None,
        code_challenge_method: str = "S256",
    ) -> str:
        """Where to send the seller to grant access (§2.1); ML does not check ``state``, we must."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if code_challenge is not None:
            query["code_challenge"] = code_challenge
            query["code_challenge_method"] = code_challenge_method
        return f"{self.auth_url}/authorization?{urlencode(query)}"

    async def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> models.TokenResponse:
        """Trade a single-use authorization code for tokens (§2.2)."""
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        return await self._token(form)

    async def refresh_token(self, refresh_token: str) -> models.TokenResponse:
        """Exchange a refresh token for a new pair; raises ``InvalidGrant`` when it is dead (§2.3).

        Refresh tokens are single use and rotate: the caller must serialise refreshes per seller
        and persist the new pair before using it. A 5xx is not retried here, since the old
        token may already be spent.
        """
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "refresh_token": refresh_token,
        }
        return await self._token(form)

    async def _token(self, form: dict[str, str]) -> models.TokenResponse:
        # Form body, never the query string (§2.2, security best practices); no bearer token.
        response = await self.request("POST", "/oauth/token", data=form)
        return self.parse(models.TokenResponse, self.json_body(response))
