"""SFU CPU per forwarded viewer stream and delivered frames: passthrough vs stock aiortc.

    python -m benchmarks.sfu [--viewers 1,5,10,20,40] [--stock-viewers 1,2,4] [--seconds 10]

One pre-encoded 720p publisher (H.264 and VP8, made with PyAV) and N viewers, run by this
process (the load generator) against an SFU in a separate process, which measures its own
CPU. ``passthrough`` is motmedia's Room; ``stock`` is aiortc's MediaRelay with the usual
decode and per-viewer re-encode. CPU grows linearly with viewers, so each mode is fitted
as ``core share = ingest + per_viewer × N`` over the runs that delivered ≥ 99 %; viewers
per core is ``(1 − ingest) / per_viewer`` (one SFU process runs on one core: its event
loop is single-threaded). One extra run at the largest N turns pacing off to price it.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from benchmarks.common import machine, write_results
from benchmarks.sfu.loadgen import run_config
from benchmarks.sfu.testvideo import FPS, HEIGHT, WIDTH, load_video

GOAL_VIEWERS_PER_CORE = 100
GOAL_DELIVERED = 0.99
GOAL_CPU_RATIO = 50


def _kept_up(run: dict[str, Any]) -> bool:
    """No frame missing, and every viewer still keeping pace with the publisher."""
    return min(run["delivered_min"], run["received_over_sent_min"]) >= GOAL_DELIVERED


def _fit(runs: list[dict[str, Any]]) -> dict[str, Any]:
    # A saturated SFU stops spending CPU on frames it fails to deliver in time, which
    # would flatter its per-viewer cost: fit only the runs that kept up (when 2+ did).
    fitted = [r for r in runs if _kept_up(r)]
    fitted = fitted if len(fitted) >= 2 else runs
    n = np.array([r["viewers"] for r in fitted], float)
    share = np.array([r["sfu_core_share"] for r in fitted], float)
    per_viewer, ingest = np.polyfit(n, share, 1) if len(fitted) > 1 else (share[0] / n[0], 0.0)
    per_viewer = max(float(per_viewer), 1e-9)
    rates = [r["viewer_bitrate"] for r in runs if r["viewer_bitrate"]]
    bitrate = sum(rates) / len(rates) if rates else None
    return {
        "fitted_viewers": [r["viewers"] for r in fitted],
        "ingest_core_share": float(ingest),
        "per_viewer_core_share": per_viewer,
        "viewers_per_core": (1 - float(ingest)) / per_viewer,
        "delivered_min": min(r["delivered_min"] for r in runs),
        "received_over_sent_min": min(r["received_over_sent_min"] for r in runs),
        "kept_up_viewers": [r["viewers"] for r in runs if _kept_up(r)],
        "viewer_bitrate": bitrate,
        "per_viewer_core_share_per_mbps": per_viewer / (bitrate / 1e6) if bitrate else None,
    }


def _summary(runs: list[dict[str, Any]], codecs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for codec in codecs:
        fits = {
            mode: _fit(
                [r for r in runs if r["mode"] == mode and r["codec"] == codec and r["pacing"]]
            )
            for mode in ("passthrough", "stock")
        }
        unpaced = [r for r in runs if r["codec"] == codec and not r["pacing"]]
        paced = {
            r["viewers"]: r
            for r in runs
            if r["codec"] == codec and r["pacing"] and r["mode"] == "passthrough"
        }
        pacing_cost = [
            {
                "viewers": r["viewers"],
                "core_share_paced": paced[r["viewers"]]["sfu_core_share"],
                "core_share_unpaced": r["sfu_core_share"],
                "delivered_min_unpaced": r["delivered_min"],
            }
            for r in unpaced
            if r["viewers"] in paced
        ]
        ratio = (
            fits["stock"]["per_viewer_core_share"] / fits["passthrough"]["per_viewer_core_share"]
        )
        pt = fits["passthrough"]
        out[codec] = {
            **fits,
            "pacing_cost": pacing_cost,
            "cpu_per_viewer_ratio_stock_over_passthrough": ratio,
            "goals": {
                f"viewers_per_core>={GOAL_VIEWERS_PER_CORE}": pt["viewers_per_core"]
                >= GOAL_VIEWERS_PER_CORE,
                f"delivered>={GOAL_DELIVERED}": pt["delivered_min"] >= GOAL_DELIVERED,
                "passthrough_kept_up_at_every_n": all(
                    _kept_up(r)
                    for r in runs
                    if r["mode"] == "passthrough" and r["codec"] == codec and r["pacing"]
                ),
                f"cpu_ratio>={GOAL_CPU_RATIO}": ratio >= GOAL_CPU_RATIO,
                "passthrough_sfu_decoded_nothing": all(
                    r["sfu_decoders_created"] == 0
                    for r in runs
                    if r["mode"] == "passthrough" and r["codec"] == codec
                ),
            },
        }
    return out


def _plot(runs: list[dict[str, Any]], codecs: list[str]) -> Any:
    fig, (cpu_ax, ok_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for codec in codecs:
        for mode, style in (("passthrough", "-o"), ("stock", "--s")):
            rs = sorted(
                (r for r in runs if r["mode"] == mode and r["codec"] == codec and r["pacing"]),
                key=lambda r: r["viewers"],
            )
            n = [r["viewers"] for r in rs]
            label = f"{mode} {codec}"
            cpu_ax.plot(n, [100 * r["sfu_core_share"] for r in rs], style, label=label)
            ok_ax.plot(n, [100 * r["received_over_sent_min"] for r in rs], style, label=label)
    cpu_ax.set(xlabel="viewers", ylabel="SFU CPU, % of one core", title="SFU CPU (720p30)")
    ok_ax.set(
        xlabel="viewers",
        ylabel="% of sent frames received in the window",
        title="Keeping up (worst viewer; < 100 % = lost or fell behind)",
    )
    ok_ax.axhline(100 * GOAL_DELIVERED, color="grey", lw=0.8)
    for ax in (cpu_ax, ok_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


async def _run(args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    for codec in args.codecs.split(","):
        video = load_video(codec)
        plan = [("passthrough", n, True) for n in args.viewers]
        plan += [("passthrough", max(args.viewers), False)]
        plan += [("stock", n, True) for n in args.stock]
        for mode, viewers, pacing in plan:
            result = await run_config(
                mode, video, viewers, args.seconds, args.warmup, pacing=pacing
            )
            result["video_bitrate"] = video.bitrate
            runs.append(result)
            print(
                f"{mode + ('' if pacing else ' unpaced'):19} {codec:4} viewers={viewers:3} "
                f"sfu={100 * result['sfu_core_share']:5.1f}% core "
                f"delivered={100 * result['delivered_min']:6.2f}% "
                f"received/sent={100 * result['received_over_sent_min']:6.2f}% "
                f"sample decoded={100 * result['sample_decoded_ratio']:6.2f}%",
                flush=True,
            )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--viewers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 5, 10, 20, 40]
    )
    parser.add_argument("--stock", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument("--codecs", default="H264,VP8")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    runs = asyncio.run(_run(args))
    codecs = args.codecs.split(",")
    summary = _summary(runs, codecs)
    for codec, s in summary.items():
        print(
            f"{codec}: passthrough {s['passthrough']['viewers_per_core']:.0f} viewers/core, "
            f"stock {s['stock']['viewers_per_core']:.1f}; "
            f"{s['cpu_per_viewer_ratio_stock_over_passthrough']:.0f}x less CPU per viewer; "
            f"goals {s['goals']}"
        )
    data = {
        "benchmark": "sfu",
        "machine": machine(("aiortc", "av")),
        "video": {"width": WIDTH, "height": HEIGHT, "fps": FPS, "gop_s": 2},
        "method": __doc__,
        "summary": summary,
        "runs": runs,
    }
    path = write_results("sfu", data, _plot(runs, codecs))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
