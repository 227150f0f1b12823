"""Identifier generators shaped like Mercado Libre's (§1), deterministic for a given seed."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable


class IdFactory:
    """Makes ids of the real shapes; never repeats an id within one sandbox instance."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._issued: set[str] = set()

    def _unique(self, make: Callable[[], object]) -> str:
        while True:
            value = str(make())
            if value not in self._issued:
                self._issued.add(value)
                return value

    def _digits(self, count: int) -> int:
        return self._rng.randint(10 ** (count - 1), 10**count - 1)

    def user_id(self) -> int:
        # §1: new user ids exceed Int32.
        return int(self._unique(lambda: self._rng.randint(2**31 + 1, 2**33)))

    def app_id(self) -> int:
        return int(self._unique(lambda: self._digits(16)))

    def item_id(self, site_id: str) -> str:
        return self._unique(lambda: f"{site_id}{self._digits(10)}")

    def question_id(self) -> int:
        return int(self._unique(lambda: self._digits(11)))

    def order_id(self) -> int:
        return int(self._unique(lambda: 2_000_000_000_000_000 + self._digits(12)))

    def shipment_id(self) -> int:
        return int(self._unique(lambda: self._digits(11)))

    def claim_id(self) -> int:
        return int(self._unique(lambda: self._digits(10)))

    def return_id(self) -> int:
        # §9.9 sample: 8 digits.
        return int(self._unique(lambda: self._digits(8)))

    def variation_id(self) -> int:
        return int(self._unique(lambda: self._digits(12)))

    def picture_id(self, site_id: str) -> str:
        return self._unique(lambda: f"{self._digits(6)}-{site_id}{self._digits(11)}_022024")

    def hex_id(self, length: int = 32) -> str:
        """Post-sale message ids and attachment ids: lowercase hex."""
        return self._unique(lambda: f"{self._rng.getrandbits(length * 4):0{length}x}")

    def scroll_id(self) -> str:
        """§6.4 sample: base64 segments joined by colons."""
        return self._unique(lambda: f"c2FuZGJveA==:{self._rng.getrandbits(192):048x}")

    def notification_id(self) -> str:
        return self._unique(lambda: str(uuid.UUID(int=self._rng.getrandbits(128), version=4)))

    def secret(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return self._unique(lambda: "".join(self._rng.choice(alphabet) for _ in range(32)))

    def access_token(self, client_id: int, user_id: int, stamp: str) -> str:
        """§1: `APP_USR-{client_id}-{MMddHH}-{hash}-{user_id}`."""
        return self._unique(
            lambda: f"APP_USR-{client_id}-{stamp}-{self._rng.getrandbits(128):032x}-{user_id}"
        )

    def grant_token(self, user_id: int) -> str:
        """§1: authorization codes and refresh tokens, `TG-{24 hex}-{user_id}`."""
        return self._unique(lambda: f"TG-{self._rng.getrandbits(96):024x}-{user_id}")

    def password(self) -> str:
        """A test user's password (`qatest` and four digits). Not an id: two users may share one (there
        are only 9,000), and a sandbox with more users than that must not loop looking for a fresh one."""
        return f"qatest{self._digits(4)}"

    def choice_float(self) -> float:
        return self._rng.random()
