"""Sites (§1.1): currency, country and consumer domain per site id."""

from __future__ import annotations

from dataclasses import dataclass

from mostrador.sandbox.errors import BadRequest


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    currency_id: str
    country_id: str
    domain: str
    identification_type: str
    currency_symbol: str


SITES: dict[str, Site] = {
    site.id: site
    for site in (
        Site("MLA", "Argentina", "ARS", "AR", "mercadolibre.com.ar", "DNI", "$"),
        Site("MLB", "Brasil", "BRL", "BR", "mercadolivre.com.br", "CPF", "R$"),
        Site("MLM", "Mexico", "MXN", "MX", "mercadolibre.com.mx", "RFC", "$"),
        Site("MLC", "Chile", "CLP", "CL", "mercadolibre.cl", "RUT", "$"),
        Site("MCO", "Colombia", "COP", "CO", "mercadolibre.com.co", "CC", "$"),
        Site("MLU", "Uruguay", "UYU", "UY", "mercadolibre.com.uy", "CI", "$"),
        Site("MPE", "Perú", "PEN", "PE", "mercadolibre.com.pe", "DNI", "S/"),
    )
}


def site(site_id: str) -> Site:
    found = SITES.get(site_id)
    if found is None:
        raise BadRequest(f"unknown site_id: {site_id}", error="invalid_site_id")
    return found
