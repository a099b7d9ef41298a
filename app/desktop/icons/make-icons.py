#!/usr/bin/env python3
"""Draws the Softwire app icons (a shield with a tunnel portal) as RGBA
PNGs beside this script, with nothing but the standard library.

    python3 app/desktop/icons/make-icons.py

Writes 32x32.png, 128x128.png, 128x128@2x.png (256 pixels) and icon.png
(512 pixels), the sizes tauri.conf.json lists. Linux needs no .icns or .ico;
those would be added for macOS and Windows bundles. The tray icons are
drawn in code with the same shape (src/tray.rs).
"""

import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# Shield colour, its darker rim, and the tunnel portal.
BLUE = (37, 99, 235)
RIM = (23, 62, 150)
WHITE = (255, 255, 255)

# Supersampling per axis, for smooth edges.
SS = 4


def shield_width(v):
    """Half the shield's width at height v (0 top, 1 bottom), or None
    outside it. The same curve as src/tray.rs."""
    if v < 0.06 or v > 0.96:
        return None
    if v < 0.45:
        return 0.82
    t = (v - 0.45) / 0.51
    return 0.82 * math.cos(t * math.pi / 2) ** 0.8


def in_shield(u, v, inset=0.0):
    w = shield_width(v)
    if w is None:
        return False
    if v < 0.06 + inset or v > 0.96 - inset * 1.6:
        return False
    return abs(u) <= w - inset


def in_arch(u, v, r, top, bottom):
    """A half disc of radius r centred at (0, top) over a rectangle down
    to bottom."""
    if top <= v <= bottom:
        return abs(u) <= r
    return v < top and u * u + (v - top) ** 2 <= r * r


def portal(u, v):
    """The tunnel's mouth: WHITE for its ring, RIM for its opening, None
    elsewhere."""
    if in_arch(u, v, 0.22, 0.50, 0.80):
        return RIM
    if in_arch(u, v, 0.36, 0.50, 0.80):
        return WHITE
    return None


def pixel(size, x, y):
    total = [0.0, 0.0, 0.0, 0.0]
    for sy in range(SS):
        for sx in range(SS):
            u = ((x + (sx + 0.5) / SS) / size) * 2.0 - 1.0
            v = (y + (sy + 0.5) / SS) / size
            if not in_shield(u, v):
                continue
            colour = portal(u, v)
            if colour is not None:
                pass
            elif in_shield(u, v, inset=0.09):
                colour = BLUE
            else:
                colour = RIM
            total[0] += colour[0]
            total[1] += colour[1]
            total[2] += colour[2]
            total[3] += 255
    n = SS * SS
    alpha = total[3] / n
    if alpha == 0:
        return (0, 0, 0, 0)
    # Colour weighted by coverage (straight, not premultiplied, alpha).
    cover = total[3] / 255
    return (
        round(total[0] / cover),
        round(total[1] / cover),
        round(total[2] / cover),
        round(alpha),
    )


def png(size):
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel(size, x, y))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def main():
    for name, size in [
        ("32x32.png", 32),
        ("128x128.png", 128),
        ("128x128@2x.png", 256),
        ("icon.png", 512),
    ]:
        path = os.path.join(HERE, name)
        with open(path, "wb") as f:
            f.write(png(size))
        print(f"{path}: {size}x{size}")


if __name__ == "__main__":
    main()
