"""Files an agent attaches to a message: Mercado Libre's rules for them, checked once when attached.

A channel that takes files declares its `FileRules` (from the client's constants, §8.4 and §9.6); the
inbox checks what the agent chose against them before anything is recorded, so a file Mercado Libre
would refuse is refused at once, in the agent's words, instead of failing later in the outbox. Names
are made to fit Mercado Libre's rule (letters, digits, `_ - .`, 125 characters) rather than refused:
"foto del paquete (1).JPG" goes out as "foto_del_paquete_1.jpg".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mostrador.conversations.outgoing import ReplyRefused
from mostrador.i18n import gettext

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class NewFile:
    """A file as the agent chose it: its name on their computer, the type the browser said, its bytes."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed its channel's rules, named as Mercado Libre accepts it."""

    name: str
    original_name: str
    content_type: str
    data: bytes

    def columns(self) -> dict[str, Any]:
        """Its values as stored with the outgoing text (`store.models.OutgoingFile`)."""
        return {
            "name": self.name,
            "original_name": self.original_name[:255],
            "content_type": self.content_type,
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
            "data": self.data,
        }

    def described(self) -> dict[str, Any]:
        """How the conversation lists it until Mercado Libre's copy is read back."""
        return {"name": self.original_name, "type": self.content_type, "size": len(self.data)}


@dataclass(frozen=True)
class FileRules:
    """What a channel's messages may carry: content type → (extensions, leading bytes), sizes, count."""

    kinds: Mapping[str, tuple[tuple[str, ...], bytes]]
    max_bytes: int  # per file
    max_files: int  # per message
    max_total_bytes: int  # per message, all files together (what one reply may keep in the database)
    name_length: int = 125

    @property
    def accept(self) -> str:
        """For the file input's `accept`: every allowed extension."""
        return ",".join(ext for extensions, _ in self.kinds.values() for ext in extensions)

    @property
    def described(self) -> str:
        """The rules in the agent's words, e.g. "JPG, PNG o PDF, hasta 5 MB cada uno, 5 archivos"."""
        names = [extensions[0].lstrip(".").upper() for extensions, _ in self.kinds.values()]
        if len(names) > 1:
            listed = gettext("%(kinds)s o %(last)s") % {"kinds": ", ".join(names[:-1]), "last": names[-1]}
        else:
            listed = names[0]
        return gettext("%(kinds)s, hasta %(size)s cada uno, %(n)s archivos como máximo") % {
            "kinds": listed,
            "size": _mb(self.max_bytes),
            "n": self.max_files,
        }

    def check(self, files: Sequence[NewFile]) -> list[CheckedFile]:
        """The files named and typed for Mercado Libre; `ReplyRefused` saying which file breaks which rule."""
        chosen = [f for f in files if f.name or f.data]  # an empty file input sends one nameless part
        if len(chosen) > self.max_files:
            raise ReplyRefused(gettext("Hasta %(n)s archivos por mensaje.") % {"n": self.max_files})
        if sum(len(f.data) for f in chosen) > self.max_total_bytes:
            raise ReplyRefused(
                gettext("Los archivos suman más de %(size)s.") % {"size": _mb(self.max_total_bytes)}
            )
        checked = [self._one(f) for f in chosen]
        seen: set[str] = set()
        for i, f in enumerate(checked):  # two files of one message never share a name
            name, n = f.name, 1
            stem, dot, ext = f.name.rpartition(".")
            while name in seen:
                n += 1
                name = f"{stem[: self.name_length - len(ext) - 6]}_{n}{dot}{ext}"
            seen.add(name)
            checked[i] = CheckedFile(name, f.original_name, f.content_type, f.data)
        return checked

    def _one(self, f: NewFile) -> CheckedFile:
        label = f"«{f.name or gettext('sin nombre')}»"
        stem, dot, ext = f.name.rpartition(".")
        extension = f".{ext.lower()}" if dot else ""
        kind = next((k for k, (exts, _) in self.kinds.items() if extension in exts), None)
        if kind is None:
            raise ReplyRefused(
                gettext("%(file)s: Mercado Libre solo acepta %(rules)s.")
                % {"file": label, "rules": self.described}
            )
        if not f.data:
            raise ReplyRefused(gettext("%(file)s está vacío.") % {"file": label})
        magic = self.kinds[kind][1]
        if not f.data.startswith(magic) or (kind == "text/plain" and b"\0" in f.data):
            raise ReplyRefused(
                gettext("%(file)s no es un archivo %(kind)s válido.")
                % {"file": label, "kind": extension.lstrip(".").upper()}
            )
        if len(f.data) > self.max_bytes:
            raise ReplyRefused(
                gettext("%(file)s pesa %(size)s; el máximo es %(max)s.")
                % {"file": label, "size": _mb(len(f.data)), "max": _mb(self.max_bytes)}
            )
        return CheckedFile(self._safe_name(stem, extension), f.name, kind, f.data)

    def _safe_name(self, stem: str, extension: str) -> str:
        ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
        safe = _UNSAFE.sub("_", ascii_stem).strip("._-") or "archivo"
        return safe[: self.name_length - len(extension)] + extension


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
