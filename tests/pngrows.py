"""Just enough PNG decoding to look at a Chromium screenshot: 8-bit RGB(A), not interlaced."""
import struct
import zlib

import numpy as np


def read_png(path) -> np.ndarray:
    """The image as an (height, width, channels) uint8 array."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, "only 8-bit RGB(A) screenshots"
            ch = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, 1 + w * ch)
    out = np.zeros((h, w * ch), dtype=np.uint8)
    prev = np.zeros(w * ch, dtype=np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # Sub, Average, Paeth depend on the pixel to the left: byte by byte
            cur = np.zeros_like(line)
            lst, pv = line.tolist(), prev.tolist()
            res = [0] * len(lst)
            for i, x in enumerate(lst):
                a = res[i - ch] if i >= ch else 0
                b = pv[i]
                if f == 1:
                    res[i] = (x + a) & 255
                elif f == 3:
                    res[i] = (x + (a + b) // 2) & 255
                else:
                    c = pv[i - ch] if i >= ch else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    res[i] = (x + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(res, dtype=np.int32)
        out[y] = cur
        prev = cur
    return out.reshape(h, w, ch)


def text_bands(img: np.ndarray, x0: int, x1: int, dark: int = 150, min_height: int = 5) -> list[tuple[int, int]]:
    """Rows [top, bottom) of the runs of rows holding dark (text) pixels between columns x0 and x1."""
    lum = img[:, x0:x1, :3].astype(np.int32) @ np.array([299, 587, 114]) // 1000
    rows = (lum < dark).any(axis=1)
    bands, start = [], None
    for y, on in enumerate(rows.tolist() + [False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if y - start >= min_height:
                bands.append((start, y))
            start = None
    return bands
