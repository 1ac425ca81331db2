"""``crew report --html FILE``: one self-contained page (inline CSS and SVG charts, no script, nothing fetched).

Charts per channel: views over time (a line), margin per day (bars above and below
zero), cost per video (bars) and topic clusters (horizontal bars of views, coloured by
margin). Every piece of text on the page comes from outside (topics are trend titles)
and is escaped; the SVG is drawn here, so the page needs no plotting library.
"""

from __future__ import annotations

from html import escape

from reelcrew.tools.analytics.report import ChannelReport, PortfolioReport

W, H, PAD_L, PAD_B, PAD_T = 640, 220, 56, 44, 24
GOOD, BAD, INK, MUTED, LINE = "#2f855a", "#c53030", "#1a202c", "#718096", "#2b6cb0"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1a202c;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}.muted{color:#718096}.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.kpi{background:#f7fafc;border:1px solid #e2e8f0;border-radius:6px;padding:8px 12px;min-width:110px}
.kpi b{display:block;font-size:18px}.neg{color:#c53030}.pos{color:#2f855a}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px}
figure{margin:0;border:1px solid #e2e8f0;border-radius:6px;padding:8px}figcaption{font-weight:600;margin-bottom:4px}
svg{width:100%;height:auto}table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid #edf2f7;padding:4px 6px;text-align:left;vertical-align:top}td.n,th.n{text-align:right}
li{margin:4px 0}
"""


def _money(x: float | None) -> str:
    if x is None:
        return "–"
    return f"-${abs(x):,.2f}" if x < 0 else f"${x:,.2f}"


def _num(x: float | None, unit: str = "") -> str:
    return "–" if x is None else f"{x:,.0f}{unit}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.1f}{unit}"


def _short(text: str, n: int = 18) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _frame(body: str, label: str) -> str:
    return (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def _axis(lo: float, hi: float, fmt) -> tuple[str, callable]:  # type: ignore[valid-type]
    """Y scale from lo..hi (zero always included) with three gridlines; returns (svg, y(value))."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi = lo + 1
    inner = H - PAD_B - PAD_T

    def y(v: float) -> float:
        return PAD_T + (hi - v) / (hi - lo) * inner

    parts = []
    for v in dict.fromkeys((lo, (lo + hi) / 2, hi, 0.0)):
        parts.append(f'<line x1="{PAD_L}" x2="{W - 8}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="{"#a0aec0" if v == 0 else "#edf2f7"}"/>')
        parts.append(f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">'
                     f'{escape(fmt(v))}</text>')
    return "".join(parts), y


def _x_labels(labels: list[str], xs: list[float]) -> str:
    step = max(1, len(labels) // 8)
    return "".join(f'<text x="{x:.1f}" y="{H - PAD_B + 16}" font-size="11" text-anchor="middle" fill="{MUTED}">'
                   f'{escape(_short(lab))}</text>' for i, (lab, x) in enumerate(zip(labels, xs)) if i % step == 0)


def bar_chart(labels: list[str], values: list[float], label: str, fmt=_money,  # type: ignore[no-untyped-def]
              color: str = GOOD) -> str:
    """Vertical bars in ``color``; negative values hang below the zero line in red."""
    if not values:
        return _frame(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{MUTED}">no data</text>', label)
    grid, y = _axis(min(values), max(values), fmt)
    slot = (W - PAD_L - 8) / len(values)
    bars, xs = [], []
    for i, (lab, v) in enumerate(zip(labels, values)):
        x = PAD_L + i * slot + slot * 0.15
        top, bottom = sorted((y(v), y(0.0)))
        xs.append(x + slot * 0.35)
        bars.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{max(bottom - top, 0.5):.1f}" '
                    f'fill="{BAD if v < 0 else color}"><title>{escape(lab)}: {escape(fmt(v))}</title></rect>')
    return _frame(grid + "".join(bars) + _x_labels(labels, xs), label)


def line_chart(labels: list[str], values: list[float], label: str, fmt=_num) -> str:  # type: ignore[no-untyped-def]
    if not values:
        return _frame(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{MUTED}">no data</text>', label)
    grid, y = _axis(min(values), max(values), fmt)
    step = (W - PAD_L - 16) / max(len(values) - 1, 1)
    xs = [PAD_L + 8 + i * step for i in range(len(values))]
    points = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in zip(xs, values))
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" fill="{LINE}"><title>{escape(lab)}: '
                   f'{escape(fmt(v))}</title></circle>' for lab, x, v in zip(labels, xs, values))
    return _frame(grid + f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="2"/>' + dots
                  + _x_labels(labels, xs), label)


def cluster_chart(report: ChannelReport) -> str:
    """One horizontal bar per topic cluster: length = views, colour = margin sign."""
    clusters = report.clusters[:10]
    if not clusters:
        return _frame(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{MUTED}">no data</text>',
                      "topic clusters")
    top = max(max(c.views for c in clusters), 1)
    row = (H - 16) / len(clusters)
    left = 220
    parts = []
    for i, c in enumerate(clusters):
        yy = 8 + i * row
        width = (W - left - 90) * c.views / top
        parts.append(f'<text x="{left - 6}" y="{yy + row * 0.6:.1f}" font-size="11" text-anchor="end" fill="{INK}">'
                     f'{escape(_short(c.label, 34))} ({c.videos})</text>')
        parts.append(f'<rect x="{left}" y="{yy + row * 0.15:.1f}" width="{max(width, 1):.1f}" height="{row * 0.7:.1f}" '
                     f'fill="{BAD if c.margin_usd < 0 else GOOD}"><title>{escape(", ".join(c.topics))}: '
                     f'{c.views:,} views, margin {escape(_money(c.margin_usd))}</title></rect>')
        parts.append(f'<text x="{left + width + 6:.1f}" y="{yy + row * 0.6:.1f}" font-size="11" fill="{MUTED}">'
                     f'{c.views:,} · {escape(_money(c.margin_usd))}</text>')
    return _frame("".join(parts), "topic clusters")


def _kpis(r: ChannelReport) -> str:
    items = [("published", f"{r.published}"), ("views", f"{r.views:,}"),
             ("avg view duration", _num(r.avg_view_duration_s, " s")), ("avg % viewed", _num(r.avg_pct_viewed, "%")),
             ("revenue", _money(r.revenue_usd)), ("cost", _money(r.cost_usd)), ("margin", _money(r.margin_usd))]
    cells = []
    for name, value in items:
        cls = ' class="neg"' if name == "margin" and r.margin_usd < 0 else ' class="pos"' if name == "margin" else ""
        cells.append(f'<div class="kpi"><span class="muted">{name}</span><b{cls}>{escape(value)}</b></div>')
    return f'<div class="kpis">{"".join(cells)}</div>'


def _topic_table(title: str, lines) -> str:  # type: ignore[no-untyped-def]
    if not lines:
        return f"<h3>{title}</h3><p class=muted>none in this window</p>"
    rows = "".join(f"<tr><td>{escape(t.topic)}</td><td class=n>{t.videos}</td><td class=n>{t.views:,}</td>"
                   f"<td class=n>{_money(t.revenue_usd)}</td><td class=n>{_money(t.cost_usd)}</td>"
                   f"<td class=n>{_money(t.margin_usd)}</td></tr>" for t in lines)
    return (f"<h3>{title}</h3><table><tr><th>topic</th><th class=n>videos</th><th class=n>views</th>"
            f"<th class=n>revenue</th><th class=n>cost</th><th class=n>margin</th></tr>{rows}</table>")


def _channel(r: ChannelReport) -> str:
    days = [d.day[5:] for d in r.per_day]
    vids = [_short(v.topic, 14) for v in r.videos]
    prefs = "".join(f"<li><b>{escape(p.title)}</b> <span class=muted>(score {p.score:.2f})</span><br>"
                    f"{escape(p.explanation)}</li>" for p in r.prefers)
    videos = "".join(
        f"<tr><td>{escape(v.published_at.strftime('%Y-%m-%d %H:%M') if v.published_at else '')}</td>"
        f"<td>{escape(v.topic)}</td><td>{escape(', '.join(v.platforms))}{' (scheduled)' if v.scheduled else ''}</td><td class=n>{v.views:,}"
        f"{'' if v.measured else ' <span class=muted>(no figures yet)</span>'}</td>"
        f"<td class=n>{_num(v.avg_view_duration_s, ' s')}</td><td class=n>{_money(v.revenue_usd)}</td>"
        f"<td class=n>{_money(v.cost_usd)}</td><td class=n>{_money(v.margin_usd)}</td></tr>" for v in r.videos)
    return f"""
<section id="channel-{escape(r.channel)}">
<h2>{escape(r.channel)}</h2>
<p class=muted>{r.since:%Y-%m-%d %H:%M} to {r.until:%Y-%m-%d %H:%M %Z} · {r.publications} post(s) across platforms ·
{r.measured} of {r.published} video(s) with figures back</p>
{_kpis(r)}
<div class=charts>
<figure><figcaption>Views over time (by publish day)</figcaption>{line_chart(days, [d.views for d in r.per_day], "views over time")}</figure>
<figure><figcaption>Margin per day</figcaption>{bar_chart(days, [d.margin_usd for d in r.per_day], "margin per day")}</figure>
<figure><figcaption>Cost per video</figcaption>{bar_chart(vids, [v.cost_usd for v in r.videos], "cost per video", color=LINE)}</figure>
<figure><figcaption>Topic clusters (views; green earns more than it cost)</figcaption>{cluster_chart(r)}</figure>
</div>
{_topic_table("Best topics", r.best_topics)}
{_topic_table("Worst topics", r.worst_topics)}
<h3>What the ranking prefers now, and why</h3>
<p class=muted>{escape(r.prefers_note)}</p>
<ol>{prefs}</ol>
<h3>Published</h3>
<table><tr><th>when</th><th>topic</th><th>platforms</th><th class=n>views</th><th class=n>AVD</th>
<th class=n>revenue</th><th class=n>cost</th><th class=n>margin</th></tr>{videos}</table>
</section>"""


def render_html(report: PortfolioReport) -> str:
    body = "".join(_channel(c) for c in report.channels) or "<p>No channel has runs yet.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ReelCrew report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body><h1>ReelCrew report</h1>
<p class=muted>last {report.days} day(s), generated {report.generated_at:%Y-%m-%d %H:%M %Z} ·
{len(report.channels)} channel(s)</p>
{body}
</body></html>
"""
