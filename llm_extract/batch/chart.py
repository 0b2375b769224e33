"""A grouped bar chart as PNG: matplotlib when installed, else a tiny built-in writer.

The built-in writer (zlib + a 5x7 bitmap font) exists so that ``llm-extract stats`` always
draws its chart without pulling a plotting stack into a text-extraction tool.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

__all__ = ["bar_chart", "write_png"]

Group = tuple[str, float | None, float | None]  # label, this corpus, published figure
_BLUE, _GREY, _BLACK, _WHITE, _LIGHT = (59, 110, 165), (170, 170, 170), (30, 30, 30), (255, 255, 255), (225, 225, 225)

# Classic 5x7 font, one byte per column, bit 0 at the top.
_FONT: dict[str, bytes] = {k: bytes.fromhex(v) for k, v in {
    " ": "0000000000", "%": "2313086462", "(": "001c224100", ")": "0041221c00", ",": "0050300000",
    "-": "0808080808", ".": "0060600000", "/": "2010080402", ";": "0056360000", ":": "0036360000", "=": "1414141414",
    ">": "0041221408", "0": "3e5149453e", "1": "00427f4000", "2": "4261514946", "3": "2141454b31",
    "4": "1814127f10", "5": "2745454539", "6": "3c4a494930", "7": "0171090503", "8": "3649494936",
    "9": "064949291e", "A": "7e1111117e", "B": "7f49494936", "C": "3e41414122", "D": "7f4141221c",
    "E": "7f49494941", "F": "7f09090101", "G": "3e4149497a", "H": "7f0808087f", "I": "00417f4100",
    "J": "2040413f01", "K": "7f08142241", "L": "7f40404040", "M": "7f020c027f", "N": "7f0408107f",
    "O": "3e4141413e", "P": "7f09090906", "Q": "3e4151215e", "R": "7f09192946", "S": "4649494931",
    "T": "01017f0101", "U": "3f4040403f", "V": "1f2040201f", "W": "7f2018207f", "X": "6314081463",
    "Y": "0708700807", "Z": "6151494543",
}.items()}


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.px = bytearray(_WHITE * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, rgb: tuple[int, int, int]) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.w, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h, max(y0, y1))
        row = bytes(rgb) * (x1 - x0)
        for y in range(y0, y1):
            i = 3 * (y * self.w + x0)
            self.px[i:i + len(row)] = row

    def text(self, x: int, y: int, s: str, rgb: tuple[int, int, int] = _BLACK, scale: int = 1) -> None:
        for ch in s.upper():
            cols = _FONT.get(ch, _FONT[" "])
            for cx, bits in enumerate(cols):
                for cy in range(7):
                    if bits >> cy & 1:
                        self.rect(x + cx * scale, y + cy * scale, x + (cx + 1) * scale, y + (cy + 1) * scale, rgb)
            x += 6 * scale

    @staticmethod
    def text_width(s: str, scale: int = 1) -> int:
        return 6 * scale * len(s)


def write_png(path: Path, width: int, height: int, rgb: bytes) -> None:
    """Write 8-bit RGB pixels (row-major) as a PNG file."""
    raw = b"".join(b"\x00" + rgb[3 * width * y: 3 * width * (y + 1)] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    path.write_bytes(png)


def _wrap(label: str, width: int) -> list[str]:
    lines: list[str] = [""]
    for word in label.split():
        trial = f"{lines[-1]} {word}".strip()
        if _Canvas.text_width(trial) <= width or not lines[-1]:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def _builtin(groups: list[Group], path: Path, title: str, note: str) -> None:
    w, h = max(640, 120 * len(groups) + 80), 440
    c = _Canvas(w, h)
    left, top, bottom = 50, 70, 340
    c.text(left, 16, title, scale=2 if _Canvas.text_width(title, 2) <= w - left - 20 else 1)
    c.rect(w - 330, 44, w - 320, 54, _BLUE)
    c.text(w - 314, 46, "THIS CORPUS")
    c.rect(w - 230, 44, w - 220, 54, _GREY)
    c.text(w - 214, 46, "DWC 2016 PUBLISHED")
    for pct in (0, 25, 50, 75, 100):
        y = bottom - (bottom - top) * pct // 100
        c.rect(left, y, w - 20, y + 1, _LIGHT)
        c.text(8, y - 3, f"{pct}%")
    gw = (w - 20 - left) // len(groups)
    for g, (label, ours, dwc) in enumerate(groups):
        x = left + g * gw + gw // 2 - 36
        for dx, value, rgb in ((0, ours, _BLUE), (38, dwc, _GREY)):
            if dx and value is None:
                continue
            if value is None:
                c.text(x + dx + 8, bottom - 12, "N/A")
                continue
            y = bottom - int((bottom - top) * max(0.0, min(1.0, value)))
            c.rect(x + dx, y, x + dx + 32, bottom, rgb)
            c.text(x + dx - 2, y - 10, f"{100 * value:.1f}%")
        for i, line in enumerate(_wrap(label, gw - 8)):
            c.text(left + g * gw + (gw - _Canvas.text_width(line)) // 2, bottom + 10 + 10 * i, line)
    c.rect(left, bottom, w - 20, bottom + 1, _BLACK)
    if note:
        c.text(left, h - 20, note)
    write_png(path, w, h, bytes(c.px))


def _matplotlib(groups: list[Group], path: Path, title: str, note: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on servers
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(groups)), 4.5))
    xs = range(len(groups))
    ours = [g[1] if g[1] is not None else 0 for g in groups]
    ax.bar([x - 0.2 for x in xs], [100 * v for v in ours], width=0.4, label="this corpus", color="#3b6ea5")
    dwc = [(x, g[2]) for x, g in enumerate(groups) if g[2] is not None]
    ax.bar([x + 0.2 for x, _ in dwc], [100 * v for _, v in dwc], width=0.4, label="DWC 2016 published", color="#aaaaaa")
    for x, g in enumerate(groups):
        if g[1] is None:
            ax.text(x - 0.2, 2, "n/a", ha="center")
    ax.set_xticks(list(xs), [g[0] for g in groups], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def bar_chart(groups: list[Group], path: Path, *, title: str, note: str = "") -> str:
    """Draw grouped bars of shares (0..1), ours beside the published figure; return the path."""
    tmp = path.with_suffix(".tmp.png")
    if not _matplotlib(groups, tmp, title, note):
        _builtin(groups, tmp, title, note)
    tmp.replace(path)
    return str(path)
