"""Every recorded Mercado Libre payload parses into its model and keeps every key it carried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from meli_fakes import PAYLOADS, payload
from pydantic import AliasChoices, BaseModel

from mostrador.meli import errors, models

Parser = Callable[[Any], list[BaseModel]]


def one(model: type[BaseModel]) -> Parser:
    return lambda data: [model.model_validate(data)]


def each(model: type[BaseModel], pick: Callable[[Any], list[Any]] = lambda data: data) -> Parser:
    return lambda data: [model.model_validate(entry) for entry in pick(data)]


KINDS = ("answers", "claims", "items", "messages", "notifications", "oauth", "orders", "questions", "users")

PARSED: dict[str, Parser] = {
    "answers/docs_post_answer_request_body.json": one(models.AnswerRequest),
    "claims/docs_claim_by_id.json": one(models.Claim),
    "claims/docs_claim_open_dispute.json": one(models.Claim),
    "claims/docs_claims_search.json": one(models.ClaimSearch),
    "claims/docs_claim_messages.json": each(models.ClaimMessage),
    "claims/docs_claim_reason.json": one(models.ClaimReason),
    "claims/docs_claim_affects_reputation.json": one(models.ClaimReputation),
    "claims/docs_claim_actions_history.json": each(models.ClaimActionEntry),
    "claims/docs_claim_attachment_upload.json": one(models.ClaimAttachmentUpload),
    "claims/docs_claim_detail.json": one(models.ClaimDetail),
    "claims/docs_claim_evidences.json": each(models.ClaimEvidence),
    "claims/docs_claim_expected_resolutions.json": each(models.ExpectedResolution),
    "claims/docs_claim_returns_v2.json": one(models.ClaimReturn),
    "claims/docs_claim_status_history.json": each(models.ClaimStatusEntry),
    "items/docs_item_minimal_after_notification.json": one(models.Item),
    "items/docs_user_items_search.json": one(models.ItemSearch),
    "items/docs_user_items_search_unhealthy.json": one(models.ItemSearch),
    "items/real_mco_item_description_2021.json": one(models.ItemDescription),
    # Site search results are item objects too (seller as an object, no seller_id).
    "items/real_mco_site_search_2021.json": each(models.Item, lambda data: data["results"]),
    "messages/docs_action_guide_message_sent.json": one(models.Message),
    "messages/docs_action_guide_message_moderated.json": one(models.Message),
    "messages/docs_attachment_upload_response.json": one(models.AttachmentUpload),
    "messages/docs_message_by_id_legacy_no_header.json": one(models.Message),
    "messages/docs_message_by_id_with_header.json": one(models.PackMessages),
    "messages/docs_pack_messages_blocked.json": one(models.PackMessages),
    "messages/docs_pack_messages_paging.json": one(models.PackMessages),
    "messages/docs_pack_messages_post_sale.json": one(models.PackMessages),
    "messages/docs_unread_none.json": one(models.Unread),
    "messages/docs_unread_packs.json": one(models.Unread),
    "messages/real_legacy_message_v1_orders_2019.json": one(models.Message),
    "notifications/docs_missed_feeds.json": one(models.MissedFeeds),
    "oauth/docs_token_authorization_code.json": one(models.TokenResponse),
    "oauth/docs_token_refresh.json": one(models.TokenResponse),
    "oauth/real_token_response_2022.json": one(models.TokenResponse),
    "orders/docs_order_by_id.json": one(models.Order),
    "orders/docs_pack.json": one(models.Pack),
    "orders/real_mla_order_noshipping_2019.json": one(models.Order),
    "orders/real_mla_order_shipping_2019.json": one(models.Order),
    "orders/real_mla_order_v1_with_shipping_2019.json": one(models.Order),
    "orders/real_mla_orders_search_2022.json": one(models.OrderSearch),
    "questions/docs_question_by_id_v4_banned_answer.json": one(models.Question),
    "questions/docs_question_by_id_vehicles_lead.json": one(models.Question),
    "questions/docs_search_by_item_empty.json": one(models.QuestionSearch),
    "questions/docs_search_by_item_v4.json": one(models.QuestionSearch),
    "questions/docs_search_by_seller_v4.json": one(models.QuestionSearch),
    "questions/real_mco_search_by_item_50_answered_2021.json": one(models.QuestionSearch),
    "questions/real_mla_question_by_id_answered_2022.json": one(models.Question),
    "questions/real_mla_question_unanswered_2019.json": one(models.Question),
    "questions/real_mla_search_by_item_2022.json": one(models.QuestionSearch),
    "users/docs_users_me.json": one(models.User),
    "users/docs_users_by_id_private.json": one(models.User),
    "users/docs_users_public.json": one(models.User),
    "users/docs_users_multiget.json": each(models.User, lambda data: [entry["body"] for entry in data]),
    "users/real_mco_seller_via_site_search_2021.json": each(models.User, lambda data: [data["seller"]]),
}
# Every notification body is the same envelope (§4.3).
PARSED.update(
    {
        f"notifications/{path.name}": one(models.Notification)
        for path in sorted((PAYLOADS / "notifications").glob("*.json"))
        if path.name != "docs_missed_feeds.json"
    }
)

ERRORS: dict[str, type[errors.MeliError]] = {
    "claims/docs_error_action_not_available.json": errors.BadRequest,
    "claims/docs_error_forbidden.json": errors.Forbidden,
    "claims/docs_error_not_found.json": errors.NotFound,
    "claims/docs_error_too_many_requests.json": errors.RateLimited,
    "messages/docs_action_guide_blocked.json": errors.BadRequest,
    "messages/docs_action_guide_error_500_delivery.json": errors.ServerError,
    "messages/docs_send_message_error_403.json": errors.Forbidden,
    "oauth/docs_error_403_access_denied.json": errors.Forbidden,
    "oauth/docs_error_403_invalid_scopes.json": errors.Forbidden,
    "oauth/docs_error_invalid_grant.json": errors.InvalidGrant,
    "questions/docs_response_time_404.json": errors.NotFound,
}

NOT_CALLED = {
    "messages/docs_action_guide_caps_available.json": "action guide (§8.7) is not called by the client",
    "messages/docs_action_guide_options.json": "action guide (§8.7) is not called by the client",
    "questions/docs_delete_question_response.json": "questions are never deleted by the client",
    "questions/docs_post_question_request_body.json": "asking is the buyer's side (§5.4)",
    "questions/docs_response_time.json": "response-time metric (§5.7) is not read by the client",
    "users/docs_user_address.json": "user addresses are not read by the client",
}


def _all_payload_files() -> list[str]:
    return sorted(
        str(path.relative_to(PAYLOADS)) for kind in KINDS for path in (PAYLOADS / kind).glob("*.json")
    )


def _aliases(model: BaseModel, name: str) -> set[str]:
    info = type(model).model_fields[name]
    keys = {name}
    if info.alias:
        keys.add(info.alias)
    if isinstance(info.validation_alias, AliasChoices):
        keys.update(str(choice) for choice in info.validation_alias.choices)
    elif isinstance(info.validation_alias, str):
        keys.add(info.validation_alias)
    return keys


def lost_keys(parsed: Any, raw: Any, where: str = "$") -> list[str]:
    """Keys of ``raw`` that the parsed model neither declares nor keeps in ``model_extra``."""
    lost: list[str] = []
    if isinstance(parsed, BaseModel) and isinstance(raw, dict):
        extra = parsed.model_extra or {}
        by_key = {key: name for name in type(parsed).model_fields for key in _aliases(parsed, name)}
        for key, value in raw.items():
            if key in extra:
                continue
            if key not in by_key:
                lost.append(f"{where}.{key}")
                continue
            lost.extend(lost_keys(getattr(parsed, by_key[key]), value, f"{where}.{key}"))
    elif isinstance(parsed, list) and isinstance(raw, list):
        for index, (item, raw_item) in enumerate(zip(parsed, raw, strict=False)):
            lost.extend(lost_keys(item, raw_item, f"{where}[{index}]"))
    return lost


def _raw_documents(name: str, data: Any) -> list[Any]:
    if name == "items/real_mco_site_search_2021.json":
        return data["results"]
    if name == "users/docs_users_multiget.json":
        return [entry["body"] for entry in data]
    if name == "users/real_mco_seller_via_site_search_2021.json":
        return [data["seller"]]
    return data if isinstance(data, list) else [data]


@pytest.mark.parametrize("name", _all_payload_files())
def test_payload_parses_into_its_model_and_keeps_every_key(name: str) -> None:
    data = payload(name)
    if name in NOT_CALLED:
        pytest.skip(NOT_CALLED[name])
    if name in ERRORS:
        status = data.get("status") or data.get("status_code")
        error = errors.error_for_status(status, data)
        assert type(error) is ERRORS[name]
        assert error.status == status
        assert error.message == (data.get("message") or data.get("error_description") or data.get("error"))
        return
    assert name in PARSED, f"{name} is not classified: add it to PARSED, ERRORS or NOT_CALLED"
    parsed = PARSED[name](data)
    raws = _raw_documents(name, data)
    assert len(parsed) == len(raws)
    for model, raw in zip(parsed, raws, strict=True):
        assert lost_keys(model, raw) == []
        again = type(model).model_validate(model.model_dump(mode="json", by_alias=True))
        assert again == model


def test_unknown_top_level_fields_survive_in_model_extra() -> None:
    data = payload("questions/docs_search_by_item_v4.json")
    search = models.QuestionSearch.model_validate(data)
    assert search.model_extra is not None
    assert search.model_extra["available_sorts"] == data["available_sorts"]
    dumped = search.model_dump(mode="json", by_alias=True)
    assert dumped["available_filters"] == data["available_filters"]
    assert dumped["questions"][0]["from"]["id"] == 419067349


def test_lost_keys_notices_a_dropped_field() -> None:
    class Forgetful(BaseModel):
        id: int

    assert lost_keys(Forgetful.model_validate({"id": 1, "note": "x"}), {"id": 1, "note": "x"}) == ["$.note"]


def test_legacy_message_shape_maps_onto_the_current_one() -> None:
    message = models.Message.model_validate(payload("messages/real_legacy_message_v1_orders_2019.json"))
    assert message.id == "59caf2ac551047d4b65d568e7ce42ec8"
    assert message.text == "Todo perfecto, muchas gracias."
    assert message.sender_id == 196704702
    assert message.to is not None and message.to.user_id == 7780806
    assert message.model_extra is not None and message.model_extra["resource_id"] == "1996179751"


def test_notification_quirks_id_spelling_string_user_and_recieved() -> None:
    questions = models.Notification.model_validate(payload("notifications/docs_questions.json"))
    assert questions.user_id == 123456789 and questions.id is None and questions.actions == []
    messages = models.Notification.model_validate(payload("notifications/docs_messages_created.json"))
    assert messages.id == "5e2827f2-99b7-474e-b68b-6a86e934cc7e" and messages.actions == ["created"]
    typo = models.Notification.model_validate(
        payload("notifications/docs_catalog_suggestions_typo_recieved.json")
    )
    assert typo.received is not None and typo.received.year == 2021
    assert typo.dedupe_key.startswith(
        "catalog_suggestions|/catalog_suggestions/MLA123456|2021-12-05T17:13:53"
    )


def test_missed_feed_keeps_the_original_notification() -> None:
    feeds = models.MissedFeeds.model_validate(payload("notifications/docs_missed_feeds.json"))
    first = feeds.messages[0]
    assert first.response is not None and first.response.http_code == 400
    original = first.original()
    assert original is not None and original.user_id == 465432224 and original.topic == "messages"


def test_question_asker_from_both_shapes() -> None:
    by_id = models.Question.model_validate(payload("questions/docs_question_by_id_v4_banned_answer.json"))
    searched = models.QuestionSearch.model_validate(payload("questions/docs_search_by_item_v4.json"))
    assert by_id.asker_id == 56801932
    assert by_id.answer is not None and by_id.answer.status == "BANNED" and by_id.answer.text == ""
    assert searched.questions[0].asker_id == 419067349 and searched.questions[0].is_unanswered


def test_conversation_status_claim_id_spellings_and_blocked() -> None:
    blocked = models.PackMessages.model_validate(payload("messages/docs_pack_messages_blocked.json"))
    assert blocked.conversation_status is not None and blocked.conversation_status.is_blocked
    single = models.ConversationStatus.model_validate({"status": "active", "claim_id": 5256749420})
    assert single.claim_ids == [5256749420]


def test_order_conversation_pack_falls_back_to_order_id() -> None:
    order = models.Order.model_validate(payload("orders/real_mla_order_noshipping_2019.json"))
    assert order.pack_id is None and order.conversation_pack_id == 2004452743
    pack = models.Pack.model_validate(payload("orders/docs_pack.json"))
    assert pack.date_created is not None and pack.date_created.utcoffset() is not None


def test_every_classified_file_exists() -> None:
    present = set(_all_payload_files())
    assert set(PARSED) | set(ERRORS) | set(NOT_CALLED) <= present


def test_claim_payloads_read_into_their_typed_fields() -> None:
    upload = models.ClaimAttachmentUpload.model_validate(payload("claims/docs_claim_attachment_upload.json"))
    assert (
        upload.filename == "fa8d559e-b6c9-4a9d-9824-aba4607bd869_271959653.jpg"
        and upload.user_id == 271959653
    )
    detail = models.ClaimDetail.model_validate(payload("claims/docs_claim_detail.json"))
    assert detail.action_responsible == "mediator" and detail.due_date is not None
    returned = models.ClaimReturn.model_validate(payload("claims/docs_claim_returns_v2.json"))
    address = returned.shipments[0].destination and returned.shipments[0].destination.shipping_address
    assert address is not None and address["city"]["name"] == "Cajamar"
    assert returned.date_created is not None and returned.date_created.utcoffset() is not None
    (evidence,) = [
        models.ClaimEvidence.model_validate(e) for e in payload("claims/docs_claim_evidences.json")
    ]
    assert evidence.shipping_company_name == "servientrega" and evidence.handling_date is None


def test_seller_reputation_metrics_from_the_real_capture() -> None:
    (seller,) = [
        models.User.model_validate(payload("users/real_mco_seller_via_site_search_2021.json")["seller"])
    ]
    reputation = seller.seller_reputation
    assert reputation is not None
    assert (reputation.level_id, reputation.power_seller_status) == ("5_green", "platinum")
    assert (
        reputation.transactions.total,
        reputation.transactions.completed,
        reputation.transactions.canceled,
    ) == (
        23783,
        22573,
        1210,
    )
    ratings = reputation.transactions.ratings
    assert ratings is not None and (ratings.positive, ratings.negative) == (0.96, 0.02)
    assert reputation.metrics is not None and reputation.metrics.sales is not None
    assert (reputation.metrics.sales.period, reputation.metrics.sales.completed) == ("60 days", 3948)
    assert reputation.metrics.claims is None


def test_seller_reputation_metrics_of_the_documented_sample() -> None:
    # §3.2, the sellers-reputation page: every metric but sales has rate, value and excluded.
    metric = {"period": "60 days", "rate": 0, "value": 0}
    reputation = models.SellerReputation.model_validate(
        {
            "level_id": "5_green",
            "power_seller_status": "platinum",
            "real_level": "red",
            "protection_end_date": "2019-12-27T00:00:00.000-04:00",
            "transactions": {"period": "historic", "total": 7192, "completed": 6211, "canceled": 981},
            "metrics": {
                "sales": {"period": "60 days", "completed": 244},
                "claims": {**metric, "excluded": {"real_value": 24, "real_rate": 0.0912}},
                "delayed_handling_time": {**metric, "excluded": {"real_value": 47, "real_rate": 0.723}},
                "cancellations": {
                    **metric,
                    "rate": 0.01,
                    "value": 2,
                    "excluded": {"real_value": 6, "real_rate": 0.0228},
                },
            },
        }
    )
    metrics = reputation.metrics
    assert metrics is not None and metrics.claims is not None and metrics.claims.excluded is not None
    assert (metrics.claims.rate, metrics.claims.value, metrics.claims.excluded.real_value) == (0, 0, 24)
    assert metrics.delayed_handling_time is not None and metrics.delayed_handling_time.excluded is not None
    assert metrics.delayed_handling_time.excluded.real_rate == 0.723
    assert metrics.cancellations is not None and (
        metrics.cancellations.rate,
        metrics.cancellations.value,
    ) == (0.01, 2)
    assert reputation.model_extra == {
        "real_level": "red",
        "protection_end_date": "2019-12-27T00:00:00.000-04:00",
    }


def test_public_and_new_account_reputations() -> None:
    public = models.User.model_validate(payload("users/docs_users_public.json"))
    assert public.seller_reputation is not None and public.seller_reputation.metrics is None
    assert (public.seller_reputation.transactions.period, public.seller_reputation.transactions.total) == (
        "historic",
        1,
    )
    assert public.seller_reputation.transactions.ratings is None
    me = models.User.model_validate(payload("users/docs_users_me.json"))
    assert me.seller_reputation is not None and me.seller_reputation.level_id is None
    assert me.seller_reputation.transactions.ratings is not None
    assert me.seller_reputation.transactions.ratings.neutral == 0
    bare = models.SellerReputation.model_validate({"transactions": None})
    assert bare.transactions == models.SellerTransactions() and bare.metrics is None
