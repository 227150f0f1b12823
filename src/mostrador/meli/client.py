"""``MeliClient``: the typed Mercado Libre API client the rest of the product uses."""

from __future__ import annotations

from .api_marketplace import MarketplaceApi
from .api_messaging import MessagingApi
from .api_oauth import OAuthApi
from .api_post_purchase import PostPurchaseApi

__all__ = ["MeliClient"]


class MeliClient(OAuthApi, MarketplaceApi, MessagingApi, PostPurchaseApi):
    """Async client for ``api.mercadolibre.com`` (or the sandbox at the same paths).

    One instance per application (client id), shared by all sellers: the access token is an
    argument of each call. All transport goes through ``Requester.request``, which adds the
    bearer header, waits for the ``RateLimiter``, consults the endpoint family's circuit breaker, retries per
    ``RetryPolicy`` and maps failures to ``errors.MeliError`` subclasses.
    """

    async def __aenter__(self) -> MeliClient:
        return self
