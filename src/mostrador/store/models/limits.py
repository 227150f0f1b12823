"""Mercado Libre's request budgets, shared by every process of the application."""

from __future__ import annotations

from sqlalchemy import Double, String
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base


class ApiBudget(Base):
    """The pacing state of one (application, endpoint family) budget: a GCRA cell.

    ``tat`` (theoretical arrival time) is when the budget would be idle again, in epoch seconds on
    the database server's clock (PostgreSQL) or the one host's clock (SQLite); every permit moves it
    forward by one emission interval. One row, one atomic update per acquisition
    (``store/limits.py``).
    """

    __tablename__ = "api_budgets"
    application: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(40), primary_key=True)
    tat: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)  # the clock reading of the last acquisition
