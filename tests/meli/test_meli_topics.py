"""A notification's ``resource`` is reduced to a validated id per topic, never used as a URL."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meli_fakes import PAYLOADS, payload

from mostrador.meli import models, topics
from mostrador.meli.topics import resource_id


@pytest.mark.parametrize(
    ("topic", "resource", "expected"),
    [
        ("questions", "/questions/5036111111", "5036111111"),
        ("items", "/items/MLA686791111", "MLA686791111"),
        ("items_prices", "/items/MLB3737188005", "MLB3737188005"),
        ("orders_v2", "/orders/2000009713473608", "2000009713473608"),
        ("orders", "/orders/1996179751", "1996179751"),
        ("shipments", "/shipments/44028792542", "44028792542"),
        ("payments", "/collections/3043111111", "3043111111"),
        ("messages", "3f6da1e35ac84f70a24af7360d24c7bc", "3f6da1e35ac84f70a24af7360d24c7bc"),
        ("messages", "5e2827f2-99b7-474e-b68b-6a86e934cc7e", "5e2827f2-99b7-474e-b68b-6a86e934cc7e"),
        ("post_purchase", "/post-purchase/v1/claims/5108684499", "5108684499"),
        ("post_purchase", "post-purchase/v1/claims/5108684499", "5108684499"),
        ("claims", "/v1/claims/5108684499", "5108684499"),
        ("user_products", "/user-products/MLBU1458960576", "MLBU1458960576"),
        ("stock-location", "/user-products/MLBU1458960576/stock", "MLBU1458960576"),
    ],
)
def test_documented_shapes_give_the_id(topic: str, resource: str, expected: str) -> None:
    assert resource_id(topic, resource) == expected


@pytest.mark.parametrize(
    ("topic", "resource"),
    [
        ("questions", "/questions/../users/me"),
        ("questions", "/questions/123/../../oauth/token"),
        ("questions", "/questions/123?access_token=x"),
        ("questions", "/questions/123#frag"),
        ("questions", "https://evil.example/questions/123"),
        ("questions", "//evil.example/questions/123"),
        ("questions", "/questions/123 "),
        ("questions", " /questions/123"),
        ("questions", "/questions/123\n"),
        ("questions", "/questions/%2e%2e"),
        ("questions", "/questions/１２３"),
        ("questions", "/questions/" + "9" * 21),
        ("questions", "/questions/"),
        ("questions", "/items/MLA1"),
        ("items", "/items/mla123"),
        ("items", "/items/MLA123/description"),
        ("orders_v2", "/orders/12ab"),
        ("messages", "../../users/me"),
        ("messages", "3f6da1e35ac84f70a24af7360d24c7b"),
        ("messages", "3f6da1e35ac84f70a24af7360d24c7bc/../x"),
        ("post_purchase", "/v1/claims/5108684499"),
        ("post_purchase", "/post-purchase/v1/claims/5108684499/messages"),
        ("invoices", "/users/123456789/invoices/$INVOICE_ID"),
        ("catalog_suggestions", "/catalog_suggestions/MLA123456"),
        ("no_such_topic", "/questions/1"),
        ("questions", "/" + "a" * 5000),
    ],
)
def test_hostile_or_foreign_resources_give_none(topic: str, resource: str) -> None:
    assert resource_id(topic, resource) is None


def test_non_text_values_give_none() -> None:
    assert resource_id("questions", 5036111111) is None
    assert resource_id("questions", None) is None
    assert resource_id("questions", ["/questions/1"]) is None


@pytest.mark.parametrize(
    "path", sorted((PAYLOADS / "notifications").glob("*.json")), ids=lambda path: path.name
)
def test_recorded_notifications_of_acted_on_topics_resolve(path: object) -> None:
    name = getattr(path, "name", "")
    body = payload(f"notifications/{name}")
    if name == "docs_missed_feeds.json":
        entries = [models.Notification.model_validate(entry) for entry in body["messages"]]
    else:
        entries = [models.Notification.model_validate(body)]
    for notification in entries:
        found = resource_id(notification.topic, notification.resource)
        if notification.topic in {
            "questions",
            "items",
            "orders_v2",
            "orders",
            "shipments",
            "messages",
            "post_purchase",
        }:
            assert found is not None and found in notification.resource
        assert notification.topic in topics.ALL_TOPICS


SAFE_ID = re.compile(r"[A-Za-z0-9\-]{1,36}")


@settings(database=None)
@given(topic=st.sampled_from(sorted(topics.ALL_TOPICS)), resource=st.text(max_size=200))
def test_property_any_text_gives_none_or_a_plain_id(topic: str, resource: str) -> None:
    found = resource_id(topic, resource)
    if found is not None:
        assert SAFE_ID.fullmatch(found)
        assert ".." not in resource and "?" not in resource and "#" not in resource
        assert "://" not in resource and not any(char.isspace() for char in resource)


@given(
    number=st.integers(min_value=0, max_value=10**20 - 1),
    junk=st.sampled_from(["/..", "?x=1", " ", "/", "%2F"]),
)
def test_property_digits_resolve_and_any_suffix_spoils_them(number: int, junk: str) -> None:
    assert resource_id("questions", f"/questions/{number}") == str(number)
    assert resource_id("questions", f"/questions/{number}{junk}") is None
    assert resource_id("orders_v2", f"{junk}/orders/{number}") is None
