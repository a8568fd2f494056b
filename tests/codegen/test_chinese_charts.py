"""Charts must render Chinese text with a real CJK font, never as empty boxes."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from bot.codegen.helpers import CJK_FONTS

LABELS = "销售额 峰值月份 季度波动 华东 用户分群"


def test_a_cjk_font_from_the_codegen_list_is_installed() -> None:
    path = font_manager.findfont(
        font_manager.FontProperties(family=CJK_FONTS[:-1]), fallback_to_default=False
    )
    font = FT2Font(path)
    missing = [ch for ch in LABELS.replace(" ", "") if font.get_char_index(ord(ch)) == 0]
    assert not missing, f"{path} lacks glyphs for {missing}"


def test_chinese_labels_render_without_missing_glyphs() -> None:
    with matplotlib.rc_context(
        {"font.sans-serif": CJK_FONTS, "font.family": "sans-serif", "axes.unicode_minus": False}
    ):
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, -1, 2])
        ax.set_title(LABELS)
        ax.set_xlabel("月份")
        ax.annotate("峰值 2026-07", xy=(1, 3))
        with warnings.catch_warnings():
            # matplotlib warns "Glyph ... missing from font(s)" when it draws a box instead.
            warnings.simplefilter("error")
            fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
