"""Identifier shapes (§1) and determinism per seed."""

import re

from mostrador.sandbox.ids import IdFactory


def test_ids_have_the_real_shapes() -> None:
    ids = IdFactory(seed=3)
    assert ids.user_id() > 2**31
    assert re.fullmatch(r"MLA\d{10}", ids.item_id("MLA"))
    assert len(str(ids.question_id())) == 11
    assert len(str(ids.order_id())) == 16
    assert len(str(ids.shipment_id())) == 11
    assert len(str(ids.claim_id())) == 10
    assert re.fullmatch(r"[0-9a-f]{32}", ids.hex_id())
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", ids.notification_id()
    )
    assert re.fullmatch(r"APP_USR-123-010203-[0-9a-f]{32}-99", ids.access_token(123, 99, "010203"))
    assert re.fullmatch(r"TG-[0-9a-f]{24}-99", ids.grant_token(99))


def test_same_seed_same_ids_and_no_repeats() -> None:
    first, second = IdFactory(seed=11), IdFactory(seed=11)
    assert [first.question_id() for _ in range(5)] == [second.question_id() for _ in range(5)]
    many = [first.claim_id() for _ in range(2000)]
    assert len(set(many)) == len(many)


def test_passwords_never_run_out() -> None:
    """Only 9,000 `qatestNNNN` passwords exist; the 9,001st user must still get one (it used to loop
    forever inside the sandbox's event loop, found by bench/day.py's 10,000 sellers)."""
    ids = IdFactory(seed=5)
    passwords = [ids.password() for _ in range(12_000)]
    assert all(re.fullmatch(r"qatest\d{4}", p) for p in passwords)
    assert len(set(passwords)) <= 9_000
