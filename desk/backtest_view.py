"""How ``greenhouse rules backtest`` shows its report, in Vietnamese or English."""

from __future__ import annotations

from datetime import tzinfo

from contract.reasons import Lang, pick
from desk.backtest import BacktestReport, Run

_T: dict[str, tuple[str, str]] = {
    "head": ("{gh}: {polls} lần đọc từ {start} đến {end}", "{gh}: {polls} polls from {start} to {end}"),
    "row": (
        "{a}: luật mới {ws} lần bật, {wh:.1f} giờ — thực tế {ds} lần, {dh:.1f} giờ",
        "{a}: would {ws} starts, {wh:.1f} h — did {ds} starts, {dh:.1f} h",
    ),
    "diffs": ("Khác nhau:", "Differences:"),
    "would": ("chỉ luật mới", "would only"),
    "did": ("chỉ thực tế", "did only"),
    "more": ("… và {n} chỗ khác nữa", "… and {n} more"),
}


def _run(run: Run, tz: tzinfo) -> str:
    end = f"–{run.end.astimezone(tz):%H:%M}" if run.end else ""
    return f"{run.start.astimezone(tz):%Y-%m-%d %H:%M}{end} {run.actuator} ({run.rule or run.why})"


def report_lines(r: BacktestReport, tz: tzinfo, lang: Lang) -> list[str]:
    fmt = "%Y-%m-%d %H:%M"
    start, end = r.start.astimezone(tz).strftime(fmt), r.end.astimezone(tz).strftime(fmt)
    lines = [pick(_T["head"], lang).format(gh=r.greenhouse, polls=r.polls, start=start, end=end)]
    for a in r.actuators:
        if a.would_starts or a.did_starts:
            row = pick(_T["row"], lang)
            lines.append(
                "  " + row.format(a=a.actuator, ws=a.would_starts, wh=a.would_on_h, ds=a.did_starts, dh=a.did_on_h)
            )
    if r.differences:
        lines.append(pick(_T["diffs"], lang))
        for d in r.differences:
            run, side = (d.would, "would") if d.would is not None else (d.did, "did")
            assert run is not None  # a difference has one side
            lines.append(f"  {pick(_T[side], lang):<14} {_run(run, tz)}")
        if r.more_differences:
            lines.append("  " + pick(_T["more"], lang).format(n=r.more_differences))
    return lines
