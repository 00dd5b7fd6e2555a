"""Charts of the programme dashboard, drawn on the server with matplotlib (Agg, no pyplot: no global state, safe
in the console's worker threads) as SVG, shown as ``<img src="data:image/svg+xml;base64,...">``: the console's
Content-Security-Policy allows images from ``data:`` and no inline script or style on the page itself.

Text stays text in the SVG (``svg.fonttype: none``), so Vietnamese is drawn by the browser's own fonts.
"""
from __future__ import annotations

import base64
import io
from typing import Dict, List, Optional, Sequence

PALETTE = ("#0b57a4", "#d35400", "#1f8a4c", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b")
RC = {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 9,
      "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "ansinh"}


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=96, layout="constrained")


# matplotlib writes the generic family quoted ('sans-serif'), which a browser takes for a font's name.
FONT_STACK = "Arial, 'Noto Sans', 'DejaVu Sans', 'Liberation Sans', sans-serif"


def _svg(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue().decode("utf-8").replace("'sans-serif'", FONT_STACK)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def bars(categories: Sequence[str], series: Dict[str, Sequence[float]], *, stacked: bool = False,
         horizontal: bool = False, ylabel: str = "", width: float = 7.2, height: Optional[float] = None) -> Optional[str]:
    """A bar chart as a data: URI; None when there is nothing to draw (no category or every value zero)."""
    if not categories or not any(any(v for v in values) for values in series.values()):
        return None
    from matplotlib import rc_context

    with rc_context(RC):
        n = len(categories)
        height = height or (max(2.2, 0.32 * n + 1.0) if horizontal else 3.0)
        fig = _figure(width, height)
        ax = fig.add_subplot()
        positions = list(range(n))
        names = list(series)
        group = 0.8
        bar = group if stacked or len(names) == 1 else group / len(names)
        bottoms: List[float] = [0.0] * n
        for i, name in enumerate(names):
            values = [float(v or 0) for v in series[name]]
            if stacked:
                at = positions
            else:
                at = [p - group / 2 + bar * (i + 0.5) for p in positions] if len(names) > 1 else positions
            colour = PALETTE[i % len(PALETTE)]
            if horizontal:
                ax.barh(at, values, height=bar, left=bottoms if stacked else None, label=name, color=colour)
            else:
                ax.bar(at, values, width=bar, bottom=bottoms if stacked else None, label=name, color=colour)
            if stacked:
                bottoms = [b + v for b, v in zip(bottoms, values)]
        if horizontal:
            ax.set_yticks(positions, labels=list(categories))
            ax.invert_yaxis()
            ax.xaxis.get_major_locator().set_params(integer=True)
            if ylabel:
                ax.set_xlabel(ylabel)
        else:
            ax.set_xticks(positions, labels=list(categories), rotation=45 if n > 6 else 0, ha="right" if n > 6 else "center")
            ax.yaxis.get_major_locator().set_params(integer=True)
            if ylabel:
                ax.set_ylabel(ylabel)
        if len(names) > 1:
            ax.legend(frameon=False, fontsize=8, loc="best")
        ax.grid(axis="x" if horizontal else "y", color="#e6eaf0")
        ax.set_axisbelow(True)
        return _svg(fig)
