"""Mostrador: a customer-service hub for Mercado Libre sellers."""

__version__ = "0.1.0"
