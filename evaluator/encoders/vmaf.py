"""The six elementary VMAF features of a video against its reference: Attentive AV-FusionNet's video input.

VIF at four scales (``integer_vif_scale0``-``3``), the detail loss / additive detail metric (``integer_adm2``) and
the temporal motion (``integer_motion2``), the inputs of VMAF's v0.6.1 model, each averaged over the frames of the
span (the paper's clip-level vector, d_v = 6). Computed by Netflix's libvmaf through ffmpeg's ``libvmaf`` filter
(the reference implementation; nothing is re-implemented here): the system ffmpeg when it was built with
libvmaf, else the ffmpeg binary of the imageio-ffmpeg wheel (built with it). The distorted video is scaled to the
reference's size; both spans start at their own zero and the comparison stops with the shorter one.

VMAF is full-reference: the reference is the source footage the dub's picture was made from (a lip-sync model's
re-rendered face, a re-encode); a dub that stream-copies the source picture scores VIF = ADM = 1 on every clip.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from evaluator.errors import MissingDependencyError
from evaluator.metrics.item import Source

VMAF_FEATURES: tuple[str, ...] = (
    "integer_vif_scale0",
    "integer_vif_scale1",
    "integer_vif_scale2",
    "integer_vif_scale3",
    "integer_adm2",
    "integer_motion2",
)
VMAF_DIM = len(VMAF_FEATURES)


def _has_libvmaf(exe: str) -> bool:
    try:
        out = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.split()[1:2] == ["libvmaf"] for line in out.stdout.decode(errors="replace").splitlines())


@functools.cache
def vmaf_ffmpeg() -> str:
    """An ffmpeg binary with the libvmaf filter: the system one, else imageio-ffmpeg's."""
    candidates = [shutil.which("ffmpeg")]
    try:
        import imageio_ffmpeg

        candidates.append(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        pass
    for exe in candidates:
        if exe and _has_libvmaf(exe):
            return exe
    raise MissingDependencyError(
        "an ffmpeg with the libvmaf filter (VMAF features)", install="pip install imageio-ffmpeg==0.8.1"
    )


@functools.cache
def vmaf_encoder_id() -> str:
    """What produced the features: libvmaf through this ffmpeg (its version line)."""
    out = subprocess.run([vmaf_ffmpeg(), "-hide_banner", "-version"], capture_output=True, check=False)
    version = (out.stdout.decode(errors="replace").splitlines() or ["ffmpeg ?"])[0].split(" Copyright")[0]
    return f"vmaf-elementary-v0.6.1-features (libvmaf in {version}; VIF x4, ADM2, motion2; clip mean)"


def _span(src: Source) -> list[str]:
    """Input options selecting the span (before its ``-i``: they apply to that input)."""
    args = []
    if src.start:
        args += ["-ss", f"{src.start:.6f}"]
    if src.end is not None:
        args += ["-t", f"{max(0.0, src.end - (src.start or 0.0)):.6f}"]
    return [*args, "-i", str(src.path)]


def vmaf_features(distorted: Source, reference: Source, *, threads: int = 1) -> np.ndarray:
    """float32 ``(6,)``: frame means of :data:`VMAF_FEATURES` of ``distorted`` against ``reference`` (file spans)."""
    from evaluator.media import probe
    from evaluator.media.tools import run

    info = probe(reference.path).video
    if info is None or not info.width or not info.height:
        from evaluator.errors import MediaError

        raise MediaError(f"{reference.path}: the VMAF reference has no video stream")
    with tempfile.TemporaryDirectory(prefix="dubkit-vmaf-") as tmp:
        log = Path(tmp) / "vmaf.json"
        graph = (
            f"[0:v]scale={info.width}:{info.height}:flags=bicubic,setpts=PTS-STARTPTS[d];"
            f"[1:v]setpts=PTS-STARTPTS[r];"
            f"[d][r]libvmaf=log_fmt=json:log_path={log}:n_threads={threads}:shortest=1"
        )
        args = [vmaf_ffmpeg(), "-nostdin", "-v", "error", *_span(distorted), *_span(reference)]
        run([*args, "-lavfi", graph, "-f", "null", "-"], what=f"VMAF features of {distorted.path}")
        frames = json.loads(log.read_text())["frames"]
    if not frames:
        from evaluator.errors import MediaError

        raise MediaError(f"{distorted.path}: no frame to compare with {reference.path}")
    table = np.array([[f["metrics"][k] for k in VMAF_FEATURES] for f in frames], dtype=np.float64)
    return table.mean(axis=0).astype(np.float32)
