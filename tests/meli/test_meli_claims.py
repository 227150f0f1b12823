"""The claims cockpit endpoints: paths, bodies, parsing, local refusals and no blind re-posts (§9)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from meli_fakes import FakeMeli, RecordingSleep, payload

from mostrador.meli import MeliClient, breaker_family, errors, models

TOKEN = "APP_USR-123-090515-secrettoken-42"
CLAIM = "/post-purchase/v1/claims/5204934310"
Call = Callable[[MeliClient], Awaitable[Any]]

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"

# Official answer to POST …/expected-resolutions/partial-refund (§9.7 page): the buyer's request
# rejected, the seller's partial refund pending with its details.
PARTIAL_REFUND_ANSWER = [
    {
        "player_role": "complainant",
        "user_id": 1680903379,
        "details": [],
        "expected_resolution": "return_product",
        "date_created": "2024-04-11T11:22:06",
        "last_updated": "2024-04-11T11:22:06",
        "status": "rejected",
    },
    {
        "player_role": "respondent",
        "user_id": 1277895049,
        "details": [
            {"key": "percentage", "value": "50.0"},
            {"key": "seller_amount", "value": "2500.0"},
            {"key": "seller_currency", "value": "R$"},
        ],
        "expected_resolution": "partial_refund",
        "date_created": "2024-04-16T13:05:04",
        "last_updated": "2024-04-16T13:05:04",
        "status": "pending",
    },
]
# Official answer to POST …/expected-resolutions/refund: spelled "detail" and "last_update".
REFUND_ANSWER = [
    {
        "player_role": "respondent",
        "user_id": 1277895049,
        "expected_resolution": "partial_refund",
        "status": "rejected",
        "detail": [{"key": "percentage", "value": "50.0"}],
        "date_created": "2024-04-16T13:05:04",
        "last_update": "2024-04-16T13:05:04",
    },
    {
        "player_role": "respondent",
        "user_id": 1277895049,
        "expected_resolution": "refund",
        "status": "accepted",
        "detail": [],
        "date_created": "2024-04-16T13:06:41",
        "last_update": "2024-04-16T13:06:41",
    },
]
ALLOW_RETURN_ANSWER = [
    {
        "player_role": "complainant",
        "user_id": 1680903379,
        "expected_resolution": "return_product",
        "status": "pending",
        "details": [],
        "date_created": "2024-04-15T12:13:28",
        "last_update": "2024-04-15T12:13:28",
    }
]
OFFERS = {
    "currency_id": "MXN",
    "available_offers": [{"amount": 855.00, "percentage": 90.0}, {"amount": 950.00, "percentage": 100.0}],
    "recommendations": [
        {"percentage": 40.0, "reason": "PARTIAL_REFUND_BETTER_THAN_RETURN", "type": "maximum"}
    ],
    "restrictions": [{"percentage": 50.0, "reason": "PAREX_REJECTED", "type": "minimum"}],
}
HANDLING_ANSWER = {
    "attachments": [],
    "type": "handling_shipping_evidence",
    "date_shipped": None,
    "shipping_company_name": None,
    "shipping_method": None,
    "handling_date": "2024-06-13",
}
MAIL_EVIDENCE = models.ShippingEvidence(
    shipping_method="mail",
    shipping_company_name="Correios",
    date_shipped=datetime(2018, 8, 17, 5, 0, 1, 858000, tzinfo=timezone(timedelta(hours=-3))),
    tracking_number="XX123456789XX",
    attachments=["38f4e399-0f18-41e4-8f48-91aecd2dee1a_419059118.png"],
)


async def test_claim_detail(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", f"{CLAIM}/detail", payload("claims/docs_claim_detail.json"))
    detail = await client.get_claim_detail(5204934310, token=TOKEN)
    assert (fake.last.method, fake.last.url.path) == ("GET", f"{CLAIM}/detail")
    assert detail.action_responsible == "mediator"
    assert detail.title == "Devolución en mediación con Mercado Libre"
    assert detail.problem == "Nos dijiste que el producto llegó dañado"
    assert detail.due_date == datetime(2023, 7, 19, 22, 33, tzinfo=timezone(timedelta(hours=-4)))


async def test_actions_and_status_history(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", f"{CLAIM}/actions-history", payload("claims/docs_claim_actions_history.json"))
    fake.json("GET", f"{CLAIM}/status-history", payload("claims/docs_claim_status_history.json"))
    actions = await client.get_claim_actions_history(5204934310, token=TOKEN)
    statuses = await client.get_claim_status_history("5204934310", token=TOKEN)
    assert [request.url.path for request in fake.requests] == [
        f"{CLAIM}/actions-history",
        f"{CLAIM}/status-history",
    ]
    assert [entry.action_name for entry in actions] == [
        "send_message_to_mediator",
        "open_dispute",
        "generate_return",
        "allow_return",
        "open_claim",
    ]
    assert actions[3].player_role == "respondent" and actions[4].claim_stage is None
    assert actions[0].action_reason_id == "" and actions[2].action_reason_id is None
    assert [(entry.stage, entry.change_by) for entry in statuses] == [
        ("dispute", "complainant"),
        ("claim", "complainant"),
    ]
    assert statuses[0].date is not None and statuses[0].date.utcoffset() == timedelta(hours=-4)


async def test_expected_resolutions(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", f"{CLAIM}/expected-resolutions", payload("claims/docs_claim_expected_resolutions.json"))
    (wanted,) = await client.get_expected_resolutions(5204934310, token=TOKEN)
    assert (wanted.player_role, wanted.expected_resolution, wanted.status) == (
        "complainant",
        "return_product",
        "pending",
    )
    assert wanted.user_id == 1354382565 and wanted.details == [] and wanted.detail("percentage") is None


async def test_partial_refund_offers(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", f"{CLAIM}/partial-refund/available-offers", OFFERS)
    offers = await client.get_partial_refund_offers(5204934310, token=TOKEN)
    assert fake.last.method == "GET"
    assert offers.currency_id == "MXN"
    ninety = offers.offer(90)
    assert ninety is not None and ninety.amount == 855.0
    assert offers.offer(35) is None
    assert (offers.recommendations[0].type, offers.recommendations[0].percentage) == ("maximum", 40.0)
    assert (offers.restrictions[0].reason, offers.restrictions[0].type) == ("PAREX_REJECTED", "minimum")


async def test_partial_refund_offers_not_applicable_is_unprocessable(
    client: MeliClient, fake: FakeMeli
) -> None:
    body = {"message": "claim not applicable", "error": "unprocessable_entity", "status": 422, "cause": []}
    fake.json("GET", f"{CLAIM}/partial-refund/available-offers", body, 422)
    with pytest.raises(errors.Unprocessable):
        await client.get_partial_refund_offers(5204934310, token=TOKEN)
    assert len(fake.requests) == 1


async def test_evidences(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", f"{CLAIM}/evidences", payload("claims/docs_claim_evidences.json"))
    (evidence,) = await client.get_claim_evidences(5204934310, token=TOKEN)
    assert (evidence.type, evidence.shipping_method, evidence.tracking_number) == (
        "shipping_evidence",
        "mail",
        "132456787",
    )
    assert evidence.date_shipped == datetime(2018, 3, 7, 5, tzinfo=UTC)
    assert evidence.attachments == [] and evidence.receiver_name is None


async def test_returns_use_the_v2_path(client: MeliClient, fake: FakeMeli) -> None:
    path = "/post-purchase/v2/claims/5298178312/returns"
    fake.json("GET", path, payload("claims/docs_claim_returns_v2.json"))
    returned = await client.get_claim_returns(5298178312, token=TOKEN)
    assert (fake.last.method, fake.last.url.path) == ("GET", path)
    assert breaker_family(path) == "claims"
    assert (returned.id, returned.claim_id, returned.status, returned.status_money) == (
        57341011,
        5298178312,
        "delivered",
        "retained",
    )
    assert returned.orders[0].item_id == "MLB3840513395" and returned.orders[0].return_quantity == 1.0
    assert [(s.type, s.destination and s.destination.name) for s in returned.shipments] == [
        ("return", "warehouse"),
        ("return_from_triage", "seller_address"),
    ]
    assert returned.resources[0].resource_id == "5383321687" and returned.related_entities == ["reviews"]
    assert returned.date_closed is None and returned.intermediate_check is True


async def test_open_dispute_posts_without_body_and_returns_the_claim(
    client: MeliClient, fake: FakeMeli
) -> None:
    fake.json("POST", f"{CLAIM}/actions/open-dispute", payload("claims/docs_claim_open_dispute.json"))
    claim = await client.open_claim_dispute(5204934310, token=TOKEN)
    assert (fake.last.method, fake.last.url.path, fake.last.content) == (
        "POST",
        f"{CLAIM}/actions/open-dispute",
        b"",
    )
    assert claim.stage == "dispute" and claim.player("mediator") is not None
    assert claim.can("respondent", "send_message_to_mediator")


async def test_refund_and_allow_return_post_without_body(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", f"{CLAIM}/expected-resolutions/refund", REFUND_ANSWER)
    fake.json("POST", f"{CLAIM}/expected-resolutions/allow-return", ALLOW_RETURN_ANSWER)
    refunded = await client.refund_claim(5204934310, token=TOKEN)
    returned = await client.allow_claim_return(5204934310, token=TOKEN)
    assert [(r.method, r.url.path, r.content) for r in fake.requests] == [
        ("POST", f"{CLAIM}/expected-resolutions/refund", b""),
        ("POST", f"{CLAIM}/expected-resolutions/allow-return", b""),
    ]
    # The refund answer spells "detail" and "last_update"; both are read.
    assert [(r.expected_resolution, r.status) for r in refunded] == [
        ("partial_refund", "rejected"),
        ("refund", "accepted"),
    ]
    assert refunded[0].detail("percentage") == "50.0"
    assert refunded[1].last_updated == datetime(2024, 4, 16, 13, 6, 41, tzinfo=UTC)
    assert returned[0].expected_resolution == "return_product" and returned[0].status == "pending"


async def test_an_action_answered_without_body_returns_no_resolutions(
    client: MeliClient, fake: FakeMeli
) -> None:
    fake.on("POST", f"{CLAIM}/expected-resolutions/refund", httpx.Response(200))
    assert await client.refund_claim(5204934310, token=TOKEN) == []


async def test_offer_partial_refund_sends_the_percentage(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", f"{CLAIM}/expected-resolutions/partial-refund", PARTIAL_REFUND_ANSWER)
    resolutions = await client.offer_partial_refund(5204934310, 50, token=TOKEN)
    assert json.loads(fake.last.content) == {"percentage": 50}
    assert fake.last.headers["content-type"] == "application/json"
    offer = resolutions[1]
    assert (offer.expected_resolution, offer.status, offer.player_role) == (
        "partial_refund",
        "pending",
        "respondent",
    )
    assert (offer.detail("percentage"), offer.detail("seller_amount"), offer.detail("seller_currency")) == (
        "50.0",
        "2500.0",
        "R$",
    )
    assert offer.detail("missing") is None


@pytest.mark.parametrize("percentage", [0, 100, 100.0, 150, -5, True])
async def test_offer_partial_refund_refuses_impossible_percentages(
    client: MeliClient, fake: FakeMeli, percentage: float
) -> None:
    with pytest.raises(ValueError):
        await client.offer_partial_refund(5204934310, percentage, token=TOKEN)
    assert fake.requests == []


async def test_shipping_evidence_body_is_the_documented_one(client: MeliClient, fake: FakeMeli) -> None:
    answer = [{**payload("claims/docs_claim_evidences.json")[0], "shipping_company_name": "Correios"}]
    fake.json("POST", f"{CLAIM}/actions/evidences", answer)
    recorded = await client.send_shipping_evidence(5204934310, MAIL_EVIDENCE, token=TOKEN)
    # The official "entrega por correo" example, byte for byte in meaning.
    assert json.loads(fake.last.content) == {
        "type": "shipping_evidence",
        "shipping_method": "mail",
        "shipping_company_name": "Correios",
        "date_shipped": "2018-08-17T05:00:01.858-03:00",
        "tracking_number": "XX123456789XX",
        "attachments": ["38f4e399-0f18-41e4-8f48-91aecd2dee1a_419059118.png"],
    }
    assert recorded[0].shipping_company_name == "Correios"


async def test_entrusted_and_email_evidence_bodies(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", f"{CLAIM}/actions/evidences", [])
    entrusted = models.ShippingEvidence(
        shipping_method="entrusted",
        shipping_company_name="Total",
        destination_agency="Agencia",
        date_shipped="2018-08-17T05:00:01.858-03:00",
        receiver_name="Jose da Silva",
        receiver_id=12345678,
    )
    await client.send_shipping_evidence(5204934310, entrusted, token=TOKEN)
    assert json.loads(fake.last.content) == {
        "type": "shipping_evidence",
        "shipping_method": "entrusted",
        "shipping_company_name": "Total",
        "destination_agency": "Agencia",
        "date_shipped": "2018-08-17T05:00:01.858-03:00",
        "receiver_name": "Jose da Silva",
        "receiver_id": "12345678",
        "attachments": [],
    }
    email = models.ShippingEvidence(
        shipping_method="email", receiver_email="a@b.com", date_shipped=date(2024, 6, 1)
    )
    await client.send_shipping_evidence(5204934310, email, token=TOKEN)
    assert json.loads(fake.last.content)["date_shipped"] == "2024-06-01"


DAY = date(2024, 6, 1)


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"shipping_method": "mail", "date_shipped": DAY}, "mail evidence needs shipping_company_name"),
        (
            {"shipping_method": "mail", "shipping_company_name": "Correios"},
            "mail evidence needs date_shipped",
        ),
        (
            {"shipping_method": "mail", "shipping_company_name": "  ", "date_shipped": DAY},
            "mail evidence needs shipping_company_name",
        ),
        (
            {"shipping_method": "entrusted", "shipping_company_name": "Total", "date_shipped": DAY},
            "entrusted evidence needs destination_agency, receiver_name",
        ),
        (
            {
                "shipping_method": "entrusted",
                "shipping_company_name": "Total",
                "date_shipped": DAY,
                "destination_agency": "Agencia",
            },
            "entrusted evidence needs receiver_name",
        ),
        ({"shipping_method": "email", "date_shipped": DAY}, "email evidence needs receiver_email"),
        ({"shipping_method": "email", "receiver_email": "a@b.com"}, "email evidence needs date_shipped"),
        (
            {
                "shipping_method": "mail",
                "shipping_company_name": "X",
                "date_shipped": datetime(2024, 6, 1, 10),
            },
            "date-time without a UTC offset",
        ),
        (
            {"shipping_method": "personal_delivery", "date_delivered": "2024-06-01T10:00:00"},
            "date-time without a UTC offset",
        ),
        ({"shipping_method": "pigeon"}, "shipping_method"),
        ({"shipping_method": "personal_delivery", "comment": "x"}, "comment"),
    ],
)
def test_shipping_evidence_requires_what_its_method_needs(fields: dict[str, Any], refusal: str) -> None:
    with pytest.raises(ValueError) as caught:
        models.ShippingEvidence.model_validate(fields)
    assert refusal in str(caught.value)


def test_a_short_date_string_is_a_day_not_midnight_of_an_unknown_zone() -> None:
    evidence = models.ShippingEvidence(
        shipping_method="email", receiver_email="a@b.com", date_shipped="2024-06-01"
    )
    assert evidence.date_shipped == date(2024, 6, 1) and evidence.body()["date_shipped"] == "2024-06-01"


def test_null_lists_read_as_empty() -> None:
    resolution = models.ExpectedResolution.model_validate({"expected_resolution": "refund", "details": None})
    assert resolution.details == [] and resolution.detail("percentage") is None
    offers = models.PartialRefundOffers.model_validate({"currency_id": "ARS", "recommendations": None})
    assert offers.recommendations == [] and offers.offer(50) is None
    evidence = models.ClaimEvidence.model_validate({"type": "shipping_evidence", "attachments": None})
    assert evidence.attachments == []
    returned = models.ClaimReturn.model_validate({"id": 1, "orders": None, "related_entities": None})
    assert returned.orders == [] and returned.related_entities == []


def test_personal_delivery_needs_only_the_method() -> None:
    evidence = models.ShippingEvidence(shipping_method="personal_delivery")
    assert evidence.body() == {
        "type": "shipping_evidence",
        "shipping_method": "personal_delivery",
        "attachments": [],
    }


async def test_handling_evidence_promises_a_day(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", f"{CLAIM}/evidences", HANDLING_ANSWER)
    recorded = await client.send_handling_evidence(5204934310, date(2024, 6, 13), token=TOKEN)
    assert (fake.last.method, fake.last.url.path) == ("POST", f"{CLAIM}/evidences")
    assert json.loads(fake.last.content) == {
        "type": "handling_shipping_evidence",
        "handling_date": "2024-06-13",
    }
    assert [(e.type, e.handling_date) for e in recorded] == [
        ("handling_shipping_evidence", date(2024, 6, 13))
    ]
    with pytest.raises(ValueError):
        await client.send_handling_evidence(5204934310, datetime(2024, 6, 13, tzinfo=UTC), token=TOKEN)
    assert len(fake.requests) == 1


async def test_claim_attachment_upload_is_multipart_and_returns_the_name(
    client: MeliClient, fake: FakeMeli
) -> None:
    fake.json("POST", f"{CLAIM}/attachments", payload("claims/docs_claim_attachment_upload.json"))
    name = await client.upload_claim_attachment(5204934310, "foto_1.JPG", JPEG, "image/jpeg", token=TOKEN)
    assert name == "fa8d559e-b6c9-4a9d-9824-aba4607bd869_271959653.jpg"
    request = fake.last
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="foto_1.JPG"' in request.content
    assert b"Content-Type: image/jpeg" in request.content and JPEG in request.content


async def test_evidence_attachment_upload_reads_file_name(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", f"{CLAIM}/attachments-evidences", {"user_id": 12345, "file_name": "abcdef.png"})
    name = await client.upload_evidence_attachment(
        5204934310, "pendrive.png", PNG, "image/png; x=1", token=TOKEN
    )
    assert name == "abcdef.png" and b"Content-Type: image/png\r\n" in fake.last.content


async def test_attachment_limits_hold_at_their_edges(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", f"{CLAIM}/attachments", {"user_id": 1, "filename": "x.pdf"})
    longest = "a" * 121 + ".pdf"
    assert len(longest) == 125
    largest = PDF + b"0" * (5_000_000 - len(PDF))
    assert await client.upload_claim_attachment(5204934310, longest, largest, "application/pdf", token=TOKEN)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("filename", "data", "content_type", "reason"),
    [
        ("a" * 122 + ".pdf", PDF, "application/pdf", "1-125 characters"),
        ("foto 1.jpg", JPEG, "image/jpeg", "characters"),
        ("fóto.jpg", JPEG, "image/jpeg", "characters"),
        ("../a.jpg", JPEG, "image/jpeg", "characters"),
        ("", JPEG, "image/jpeg", "characters"),
        ("anim.gif", b"GIF89a", "image/gif", "not JPG, PNG or PDF"),
        ("notes.txt", b"hola", "text/plain", "not JPG, PNG or PDF"),
        ("foto.png", JPEG, "image/jpeg", "must end in .jpg or .jpeg"),
        ("foto.jpg", PNG, "image/jpeg", "content is not image/jpeg"),
        ("foto.jpg", b"", "image/jpeg", "content is not image/jpeg"),
        ("big.jpg", JPEG + b"0" * (5_000_001 - len(JPEG)), "image/jpeg", "over the 5 MB limit"),
    ],
)
@pytest.mark.parametrize("upload", ["upload_claim_attachment", "upload_evidence_attachment"])
async def test_files_the_api_would_refuse_are_refused_before_any_request(
    client: MeliClient,
    fake: FakeMeli,
    upload: str,
    filename: str,
    data: bytes,
    content_type: str,
    reason: str,
) -> None:
    with pytest.raises(errors.InvalidAttachment) as caught:
        await getattr(client, upload)(5204934310, filename, data, content_type, token=TOKEN)
    assert reason in caught.value.reason and caught.value.filename == filename
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, errors.MeliError)
    assert fake.requests == []


async def test_claim_message_carries_attachment_names(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("POST", f"{CLAIM}/actions/send-message", httpx.Response(201))
    name = "1330467461_7ed98ebb-03f7-4818-943b-8b4d12a3aaa7.jpg"
    await client.send_claim_message(
        5204934310, "mediator", "Adjunto la guía.", token=TOKEN, attachments=[name]
    )
    assert json.loads(fake.last.content) == {
        "receiver_role": "mediator",
        "message": "Adjunto la guía.",
        "attachments": [name],
    }
    await client.send_claim_message(5204934310, "mediator", "Sin adjunto.", token=TOKEN, attachments=())
    assert "attachments" not in json.loads(fake.last.content)
    with pytest.raises(TypeError):
        await client.send_claim_message(5204934310, "mediator", "x", token=TOKEN, attachments=name)
    assert len(fake.requests) == 2


# Every claim POST, with the path it goes to; none may be repeated after a 5xx or a read timeout.
POSTS: list[tuple[str, Call, str]] = [
    ("dispute", lambda c: c.open_claim_dispute(5204934310, token=TOKEN), f"{CLAIM}/actions/open-dispute"),
    ("refund", lambda c: c.refund_claim(5204934310, token=TOKEN), f"{CLAIM}/expected-resolutions/refund"),
    (
        "allow return",
        lambda c: c.allow_claim_return(5204934310, token=TOKEN),
        f"{CLAIM}/expected-resolutions/allow-return",
    ),
    (
        "partial refund",
        lambda c: c.offer_partial_refund(5204934310, 50, token=TOKEN),
        f"{CLAIM}/expected-resolutions/partial-refund",
    ),
    (
        "shipping evidence",
        lambda c: c.send_shipping_evidence(5204934310, MAIL_EVIDENCE, token=TOKEN),
        f"{CLAIM}/actions/evidences",
    ),
    (
        "handling evidence",
        lambda c: c.send_handling_evidence(5204934310, date(2024, 6, 13), token=TOKEN),
        f"{CLAIM}/evidences",
    ),
    (
        "message",
        lambda c: c.send_claim_message(5204934310, "complainant", "Hola", token=TOKEN, attachments=["a.jpg"]),
        f"{CLAIM}/actions/send-message",
    ),
    (
        "attachment",
        lambda c: c.upload_claim_attachment(5204934310, "a.pdf", PDF, "application/pdf", token=TOKEN),
        f"{CLAIM}/attachments",
    ),
    (
        "evidence attachment",
        lambda c: c.upload_evidence_attachment(5204934310, "a.pdf", PDF, "application/pdf", token=TOKEN),
        f"{CLAIM}/attachments-evidences",
    ),
]


def _unavailable() -> httpx.Response:
    body = {"message": "Service unavailable", "error": "service_not_available", "status": 503, "cause": []}
    return httpx.Response(503, json=body)


@pytest.mark.parametrize(("name", "call", "path"), POSTS, ids=[p[0] for p in POSTS])
async def test_claim_posts_are_not_repeated_after_a_503(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep, name: str, call: Call, path: str
) -> None:
    fake.on("POST", path, _unavailable(), httpx.Response(200, json=[]))
    with pytest.raises(errors.ServerError) as caught:
        await call(client)
    assert caught.value.status == 503 and caught.value.error == "service_not_available"
    assert [(r.method, r.url.path) for r in fake.requests] == [("POST", path)]
    assert sleep.delays == []


@pytest.mark.parametrize(("name", "call", "path"), POSTS, ids=[p[0] for p in POSTS])
async def test_claim_posts_are_not_repeated_after_a_read_timeout(
    client: MeliClient, fake: FakeMeli, name: str, call: Call, path: str
) -> None:
    fake.on("POST", path, httpx.ReadTimeout("no answer"), httpx.Response(200, json=[]))
    with pytest.raises(errors.TransportError) as caught:
        await call(client)
    assert caught.value.request_sent is True and len(fake.requests) == 1


async def test_a_claim_post_that_never_left_is_sent_again(client: MeliClient, fake: FakeMeli) -> None:
    path = f"{CLAIM}/expected-resolutions/refund"
    fake.on("POST", path, httpx.ConnectError("refused"), httpx.Response(200, json=REFUND_ANSWER))
    assert len(await client.refund_claim(5204934310, token=TOKEN)) == 2
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("call", "path", "body"),
    [
        (
            lambda c: c.open_claim_dispute(5204934310, token=TOKEN),
            f"{CLAIM}/actions/open-dispute",
            payload("claims/docs_error_action_not_available.json"),
        ),
        (
            lambda c: c.refund_claim(5204934310, token=TOKEN),
            f"{CLAIM}/expected-resolutions/refund",
            {
                "message": "Action refund not available for player",
                "error": "bad_request_error",
                "status": 400,
            },
        ),
        (
            lambda c: c.offer_partial_refund(5204934310, 50, token=TOKEN),
            f"{CLAIM}/expected-resolutions/partial-refund",
            {
                "message": "Action allow_partial_refund not available for player",
                "error": "bad_request",
                "status": 400,
                "cause": [],
            },
        ),
        (
            lambda c: c.offer_partial_refund(5204934310, 35, token=TOKEN),
            f"{CLAIM}/expected-resolutions/partial-refund",
            {
                "message": "Percentage not found 35.0",
                "error": "error checking configuration percentage",
                "status": 400,
                "cause": [],
            },
        ),
    ],
)
async def test_business_refusals_are_bad_requests_that_keep_their_message(
    client: MeliClient, fake: FakeMeli, call: Call, path: str, body: dict[str, Any]
) -> None:
    fake.json("POST", path, body, 400)
    with pytest.raises(errors.BadRequest) as caught:
        await call(client)
    assert type(caught.value) is errors.BadRequest
    assert caught.value.message == body["message"] and caught.value.error == body["error"]
    assert body["message"] in str(caught.value) and caught.value.status == 400
    assert len(fake.requests) == 1


async def test_a_history_that_is_not_a_list_is_an_invalid_response(
    client: MeliClient, fake: FakeMeli
) -> None:
    fake.json("GET", f"{CLAIM}/status-history", {"stage": "claim"})
    with pytest.raises(errors.InvalidResponse):
        await client.get_claim_status_history(5204934310, token=TOKEN)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_claim_detail("../../users/me", token=TOKEN),
        lambda c: c.get_claim_returns("1?x=2", token=TOKEN),
        lambda c: c.refund_claim("..", token=TOKEN),
        lambda c: c.upload_claim_attachment("1/2", "a.pdf", PDF, "application/pdf", token=TOKEN),
    ],
)
async def test_hostile_claim_ids_are_refused_before_any_request(
    client: MeliClient, fake: FakeMeli, call: Call
) -> None:
    with pytest.raises(ValueError):
        await call(client)
    assert fake.requests == []
