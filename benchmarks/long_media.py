"""Long media: wall time, peak memory and bytes written when dubbing long, mostly silent episodes.

Builds (once, cached in --workdir) silent videos with a tiny picture (64x64, 2 fps, a silent stereo
48 kHz AAC track) of 30 minutes and 2 hours, and scripts of 4 and 400 evenly spread cues (two
speakers), then dubs each case in a fresh process with piper and ``cot="none"`` (the output path
alone), or ``--cot heuristic`` for the default scene reader. Each case prints its wall time, the
dubbing process's peak RSS (``ru_maxrss``), the peak of the whole process tree (the dubbing process
and its ffmpeg children together, sampled every 0.25 s), and what it wrote.

    .venv/bin/python benchmarks/long_media.py                          # every case, this checkout's code
    .venv/bin/python benchmarks/long_media.py --cases 30m-4 --cot heuristic
    PYTHONPATH=/path/to/old/checkout .venv/bin/python benchmarks/long_media.py --label before

The dub goes through ``dubber.pipeline.Dubber(DubConfig(...)).run()``, which old and new checkouts
share, so the same script measures both (``PYTHONPATH`` chooses the code; the first line printed
says which). A case whose process tree passes ``--rss-cap-gb`` is stopped and reported as such, so
an old checkout cannot exhaust a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

LENGTHS = {"30m": 1800, "2h": 7200}
SENTENCES = [
    "Did you see the news this morning?",
    "Yes, the port will be closed all week.",
    "Then we will have to change the plan.",
    "I can call them after lunch.",
    "Bring the map, we will need it.",
    "Nobody told me about the meeting.",
    "It starts at nine, do not be late.",
    "We should leave before the rain.",
]


def build_video(path: Path, seconds: int) -> None:
    if path.is_file():
        return
    tmp = path.with_suffix(".part.mp4")
    color = ["-f", "lavfi", "-i", "color=black:s=64x64:r=2", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "20", "-c:a", "aac", "-b:a", "32k"]
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", *color, "-t", str(seconds), *codecs, str(tmp)]
    subprocess.run(args, check=True)
    tmp.replace(path)


def build_script(path: Path, seconds: int, cues: int) -> None:
    def clock(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    step = (seconds - 10.0) / cues
    parts = []
    for i in range(cues):
        start = 5.0 + i * step
        speaker = "ANNA" if i % 2 == 0 else "BEN"
        text = SENTENCES[i % len(SENTENCES)]
        parts.append(f"{i + 1}\n{clock(start)} --> {clock(start + 2.8)}\n{speaker}: {text}\n")
    path.write_text("\n".join(parts), encoding="utf-8")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants (Linux /proc). A child caught between fork and
    exec still shares its parent's pages and reports them as its own: it is not counted."""
    total, todo = 0, [(pid, None)]
    while todo:
        p, parent_exe = todo.pop()
        try:
            exe = os.readlink(f"/proc/{p}/exe")
            if exe != parent_exe:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [(int(c), exe) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def child(args: argparse.Namespace) -> None:
    """One dub, in this process; prints one JSON line."""
    import dubber
    from dubber.config import DubConfig
    from dubber.pipeline import Dubber

    out = Path(args.out)
    cfg = DubConfig(video=Path(args.video), script=Path(args.script), output=out, cot=args.cot)
    t0 = time.perf_counter()
    result = Dubber(cfg).run()
    wall = time.perf_counter() - t0
    written = {
        "video": folder_bytes(out),
        "dub_wav": folder_bytes(cfg.dub_wav_path()),
        "project": folder_bytes(cfg.resolved_project()),
    }
    print(
        json.dumps(
            {
                "wall_s": round(wall, 1),
                "rss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "rendered": len(result.rendered),
                "written_mb": {k: round(v / 1e6, 1) for k, v in written.items()},
                "code": str(Path(dubber.__file__).resolve().parents[1]),
            }
        )
    )


def run_case(args: argparse.Namespace, case: str, work: Path) -> dict[str, object]:
    length, cues = case.split("-")
    seconds = LENGTHS[length]
    video, script = work / f"silent-{length}.mp4", work / f"{length}-{cues}.srt"
    build_video(video, seconds)
    build_script(script, seconds, int(cues))
    out = work / "runs" / args.label / args.cot / case / "out.mp4"
    if out.parent.exists():
        subprocess.run(["rm", "-rf", str(out.parent)], check=True)
    out.parent.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--child", "--video", str(video), "--script", str(script), "--out", str(out)]
    cmd += ["--cot", args.cot]
    # the code measured: PYTHONPATH when set, else this checkout (not whatever the venv has installed)
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1])}
    load_before = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak, cap, stopped, t0 = 0, args.rss_cap_gb * 1e9, False, time.perf_counter()
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        if peak > cap:
            proc.kill()
            stopped = True
            break
        time.sleep(0.25)
    stdout, stderr = proc.communicate()
    row: dict[str, object] = {"case": case, "cot": args.cot, "label": args.label, "load_1min_before": load_before}
    row["load_1min_after"] = os.getloadavg()[0]
    row["tree_rss_peak_mb_sampled"] = round(peak / 1e6)
    if stopped:
        row["stopped"] = f"process tree passed {args.rss_cap_gb} GB after {time.perf_counter() - t0:.0f} s"
    elif proc.returncode != 0:
        row["failed"] = (stderr.strip().splitlines() or ["?"])[-1]
    else:
        row.update(json.loads(stdout.strip().splitlines()[-1]))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="30m-4,30m-400,2h-4,2h-400")
    parser.add_argument("--cot", default="none", help="scene reader: none (the output path alone) or heuristic")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/dubkit-long-media"))
    parser.add_argument("--label", default="after", help="a name for the code measured (runs/LABEL/...)")
    parser.add_argument("--rss-cap-gb", type=float, default=12.0)
    parser.add_argument("--json", type=Path, help="append each case's figures to this JSON-lines file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--video", help=argparse.SUPPRESS)
    parser.add_argument("--script", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; code: {args.label}; cot: {args.cot}")
    print(f"{'case':8} {'wall s':>8} {'peak RSS MB':>12} {'tree MB':>8}  written MB")
    for case in args.cases.split(","):
        row = run_case(args, case, args.workdir)
        if args.json:
            with args.json.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
        tree = row["tree_rss_peak_mb_sampled"]
        if "wall_s" in row:
            w = row["written_mb"]
            print(
                f"{case:8} {row['wall_s']:>8} {row['rss_self_mb']:>12} {tree:>8}  video {w['video']}, "
                f"dub.wav {w['dub_wav']}, project {w['project']} "
                f"(load {row['load_1min_before']:.1f} -> {row['load_1min_after']:.1f})"
            )
        else:
            print(f"{case:8} {row.get('stopped') or row.get('failed')} (tree peak {tree} MB)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
