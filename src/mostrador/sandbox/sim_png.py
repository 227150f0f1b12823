"""Small valid PNG images made in memory, for buyers who attach a photo to a post-sale message (§8.4).

No image library and no files: a PNG is a signature plus IHDR, IDAT (zlib-compressed scanlines) and
IEND chunks, each with its CRC.
"""

from __future__ import annotations

import random
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def make_png(
    width: int, height: int, pixel: tuple[int, int, int], *, stripe: tuple[int, int, int] | None = None
) -> bytes:
    """An RGB image of one colour, with an optional diagonal stripe so photos differ from each other."""
    if width <= 0 or height <= 0:
        raise ValueError("a PNG needs a positive width and height")
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0 (None) for every scanline
        for x in range(width):
            row.extend(stripe if stripe is not None and abs(x - y) < 2 else pixel)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def buyer_photo(rng: random.Random) -> bytes:
    """A small "photo" of a product, different for each draw of `rng`."""
    size = rng.choice((16, 24, 32))
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    stripe = (255 - colour[0], 255 - colour[1], 255 - colour[2])
    return make_png(size, size, colour, stripe=stripe)
