"""Base class and shared pieces of every Mercado Libre payload model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["MeliModel", "Paging"]


class MeliModel(BaseModel):
    """A Mercado Libre payload: declared fields are typed, every other key is kept verbatim.

    Real responses carry dozens of keys we do not model (an item has ~60) and the API adds new
    ones without notice; keeping them in ``model_extra`` means nothing is dropped without a trace.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Paging(MeliModel):
    """The ``paging`` object of most searches (§10 "Pagination conventions")."""

    total: int = 0
    offset: int = 0
    limit: int = 0
