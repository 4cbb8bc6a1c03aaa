"""What the heuristic scene reader measures once per episode, and its cache in the project.

The reader's evidence for a line is the faces in frames sampled at ``fps`` in the line's span, the
speech in it (voice activity) and the speaker's voice profile. Measured line by line, adjacent
lines each decode their stretch of video with their own ffmpeg process, the face detector runs
on frames that show the same picture, and a speaker's voice is measured again on each line.
:func:`analyse_episode` measures each thing once:

- the cues are grouped into stretches (a gap under ``STRETCH_GAP_S`` joins them); each stretch is
  decoded by one ffmpeg process at ``fps`` on a grid fixed in the video (frame ``k`` shows time
  ``(k + 0.5) / fps``) and its audio once at 16 kHz;
- on each grid frame inside a cue: the faces (the detector runs again when the picture changed,
  a mean difference of 64x48 gray thumbnails over ``change_threshold`` levels, or ``redetect_s``
  after it last ran; in between the boxes of that run are kept), each face's mouth opening (68
  landmarks) and the 64x64 crop the expression model reads (run later, batched, on the frames the
  reader picks);
- voice activity over each stretch's audio;
- the voice profile of each named speaker from up to ``voice_sample_s`` of their speech, spread
  over their cues (a cue of the default speaker is its own group, as is a cue of a clip).

The audio side (the last two) runs on a thread beside the face scan.

Everything is cached in one directory (the project's ``analysis/``), keyed by the video's hash
and these parameters: frames by grid index, voice activity by stretch, profiles by the speech they
come from; a re-run, or a run after an edit, measures only what is new.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.encoders.face import FaceAnalyzer, FaceBox, face_crop, mouth_opening
from evaluator.encoders.voice import VOICE_SAMPLE_RATE, VoiceActivity, VoiceProfile, voice_profile
from evaluator.fileio import atomic_path, stable_hash, write_json
from evaluator.script import DEFAULT_SPEAKER, Cue

log = logging.getLogger(__name__)

#: cues closer than this (seconds) are decoded together, in stretches of at most MAX_STRETCH_S
STRETCH_GAP_S = 2.0
MAX_STRETCH_S = 600.0
_THUMB = (64, 48)
#: a face whose 64x64 crop changed by less than this (mean absolute difference, 8-bit levels) since the
#: previous frame keeps that frame's landmarks (compression noise on a still face: 0.1-0.3)
FACE_STILL = 0.75
_SAVE_EVERY_S = 30.0
#: how frames reach the face detector (part of the cache key): luma converted by ffmpeg
FRAMES = "gray (ffmpeg)"


@dataclass(frozen=True)
class AnalysisParams:
    """What the measurements depend on (besides the video): part of the cache key."""

    fps: float = 4.0
    max_width: int = 480
    detector: str = "dlib"
    redetect_s: float = 10.0
    change_threshold: float = 2.0
    voice_sample_s: float = 5.0

    def key(self, video_hash: str, models: str) -> str:
        return stable_hash({"video": video_hash, "models": models, "frames": FRAMES, **asdict(self)})


@dataclass(frozen=True)
class FaceObs:
    """One face in one sampled frame."""

    box: FaceBox
    mouth: float
    crop: int  # row of EpisodeAnalysis.crops


@dataclass
class EpisodeAnalysis:
    """The measurements of one episode (see the module docstring)."""

    params: AnalysisParams
    faces: dict[int, list[FaceObs]] = field(default_factory=dict)  # grid index -> faces, largest first
    crops: list[np.ndarray] = field(default_factory=list)  # (64, 64) uint8 each
    speech: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # stretch -> segments (s)
    voices: dict[str, VoiceProfile | None] = field(default_factory=dict)  # speech key -> profile

    def grid(self, start: float, end: float) -> list[int]:
        """The grid frames whose time lies in ``[start, end)``."""
        fps = self.params.fps
        first = int(np.ceil(start * fps - 0.5))
        last = int(np.ceil(end * fps - 0.5)) - 1
        return list(range(max(first, 0), last + 1))

    def time(self, k: int) -> float:
        return (k + 0.5) / self.params.fps

    def segments(self, start: float, end: float) -> list[tuple[float, float]]:
        """Speech in ``[start, end]``, relative to ``start``."""
        out = []
        for segs in self.speech.values():
            for s, e in segs:
                a, b = max(s, start), min(e, end)
                if b > a:
                    out.append((a - start, b - start))
        return sorted(out)


def voice_group(cue: Cue) -> str:
    """Cues whose speech is pooled into one voice profile: a named speaker's, else the cue alone."""
    return f"speaker:{cue.speaker}" if cue.speaker != DEFAULT_SPEAKER else f"cue:{cue.start:.3f}-{cue.end:.3f}"


def stretches(cues: Sequence[Cue], gap: float = STRETCH_GAP_S) -> list[tuple[float, float, list[Cue]]]:
    """Cues grouped into stretches decoded together: ``(start, end, cues)`` in time order (a stretch
    ends at a gap of ``gap`` seconds, or before it would outgrow ``MAX_STRETCH_S``)."""
    out: list[tuple[float, float, list[Cue]]] = []
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        if out and cue.start - out[-1][1] < gap and cue.end - out[-1][0] <= MAX_STRETCH_S:
            start, end, members = out[-1]
            out[-1] = (start, max(end, cue.end), [*members, cue])
        else:
            out.append((cue.start, cue.end, [cue]))
    return out


class FaceScanner:
    """Faces, mouth openings and expression crops of frames in time order, re-running the detector
    only when the picture changed, and the landmarks only when the face did (its crop differs from
    the previous frame's by more than ``FACE_STILL`` levels on average; see the module docstring)."""

    def __init__(self, faces: FaceAnalyzer, params: AnalysisParams) -> None:
        self.faces = faces
        self.params = params
        self._ref: tuple[float, np.ndarray, list[FaceBox]] | None = None  # time, thumbnail, boxes
        self._last: dict[FaceBox, tuple[np.ndarray, float]] = {}  # previous frame: box -> crop, mouth
        self.detections = 0
        self.landmarks = 0

    def reset(self) -> None:
        self._ref = None
        self._last = {}

    def scan(self, frame: np.ndarray, t: float, crops: list[np.ndarray]) -> list[FaceObs]:
        import cv2

        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        thumb = cv2.resize(gray, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        ref = self._ref
        if (
            ref is None
            or t - ref[0] >= self.params.redetect_s
            or float(np.mean(np.abs(thumb - ref[1]))) > self.params.change_threshold
        ):
            ref = self._ref = (t, thumb, self.faces.detect(gray))
            self.detections += 1
        out, last = [], {}
        for box in ref[2]:
            crop = face_crop(gray, box)
            before = self._last.get(box)
            if before is not None and float(np.mean(np.abs(crop.astype(np.float32) - before[0]))) < FACE_STILL:
                mouth = before[1]
            else:
                mouth = mouth_opening(self.faces.landmarks(gray, box))
                self.landmarks += 1
            crops.append(crop)
            last[box] = (crop.astype(np.float32), mouth)
            out.append(FaceObs(box, mouth, len(crops) - 1))
        self._last = last
        return out


def analyse_episode(
    video: str | Path,
    cues: Sequence[Cue],
    params: AnalysisParams,
    *,
    faces: FaceAnalyzer,
    vad: VoiceActivity,
    cache: AnalysisCache | None = None,
    progress: Callable[[], None] | None = None,
) -> EpisodeAnalysis:
    """Measure what the cues need (see the module docstring), reusing and extending ``cache``."""
    from evaluator.media import iter_frames, load_audio, probe

    info = probe(video)
    size = _frame_size(info.video.width, info.video.height, params.max_width) if info.video else None
    analysis = cache.load() if cache is not None else EpisodeAnalysis(params)
    scanner = FaceScanner(faces, params)
    last_save = time.monotonic()
    parts = stretches(cues)
    # the audio side (voice activity, then the voice profiles) runs on a thread beside the face scan: they
    # share nothing until both are done (Silero and Harvest leave the GIL; the scan waits on ffmpeg)
    heard = EpisodeAnalysis(params, speech=dict(analysis.speech), voices=dict(analysis.voices))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dubkit-speech") as pool:
        listening = pool.submit(_measure_audio, video, cues, parts, heard, vad, info.audio is not None, load_audio)
        for _, _, members in parts:
            _scan_frames(video, members, analysis, scanner, size, iter_frames, progress)
            if cache is not None and time.monotonic() - last_save > _SAVE_EVERY_S:
                cache.save(analysis)
                last_save = time.monotonic()
        listening.result()
    analysis.speech, analysis.voices = heard.speech, heard.voices
    log.info(
        "scene analysis: %d frames, %d face detections, %d landmark fits",
        len(analysis.faces),
        scanner.detections,
        scanner.landmarks,
    )
    if cache is not None:
        cache.save(analysis)
    return analysis


def _measure_audio(video, cues, parts, analysis, vad, has_audio, load_audio) -> None:  # noqa: ANN001
    """Voice activity of each stretch not measured yet, then the voice profile of each group of cues."""
    for start, end, _ in parts:
        key = f"{start:.3f}-{end:.3f}"
        if key not in analysis.speech:
            audio = load_audio(video, VOICE_SAMPLE_RATE, start=start, end=end) if has_audio else None
            segs = vad.segments(audio, VOICE_SAMPLE_RATE) if audio is not None and len(audio) else []
            analysis.speech[key] = [(round(start + s, 3), round(start + e, 3)) for s, e in segs]
    groups: dict[str, list[Cue]] = {}
    for cue in cues:
        groups.setdefault(voice_group(cue), []).append(cue)
    samples = {_voice_key(analysis, m): _voice_sample(analysis, m) for m in groups.values()}
    missing = {k: spans for k, spans in samples.items() if k not in analysis.voices}
    if missing and has_audio:
        _measure_voices(video, missing, parts, analysis, load_audio)
    for k in missing:
        analysis.voices.setdefault(k, None)


def _measure_voices(video, missing, parts, analysis, load_audio) -> None:  # noqa: ANN001
    """Voice profiles of the ``missing`` samples; one audio decode per stretch that holds any."""
    pieces: dict[str, list[np.ndarray]] = {k: [] for k in missing}
    for start, end, _ in parts:
        inside = [(k, s, e) for k, spans in missing.items() for s, e in spans if start <= s and e <= end + 1e-3]
        if not inside:
            continue
        lo, hi = min(s for _, s, _ in inside), max(e for _, _, e in inside)
        audio = load_audio(video, VOICE_SAMPLE_RATE, start=lo, end=hi)
        for k, s, e in inside:
            pieces[k].append(audio[int((s - lo) * VOICE_SAMPLE_RATE) : int((e - lo) * VOICE_SAMPLE_RATE)])
    for k, found in pieces.items():
        found = [x for x in found if len(x)]
        analysis.voices[k] = voice_profile(np.concatenate(found), VOICE_SAMPLE_RATE) if found else None


def _frame_size(width: int | None, height: int | None, max_width: int) -> tuple[int, int] | None:
    if not width or not height or width <= max_width:
        return None
    h = int(round(height * max_width / width / 2)) * 2
    return (max_width, max(h, 2))


def _scan_frames(video, members, analysis, scanner, size, iter_frames, progress) -> None:  # noqa: ANN001
    """Scan the stretch's grid frames not measured yet; report each cue once its frames are done."""
    grids = {c: analysis.grid(c.start, c.end) for c in members}
    todo = sorted({k for g in grids.values() for k in g if k not in analysis.faces})
    pending = sorted(members, key=lambda c: max(grids[c], default=-1))

    def report(upto: int) -> None:
        while pending and max(grids[pending[0]], default=-1) <= upto:
            pending.pop(0)
            if progress is not None:
                progress()

    if todo:
        first, last = todo[0], todo[-1]
        wanted = set(todo)
        scanner.reset()
        fps = analysis.params.fps
        frames = iter_frames(video, fps=fps, start=first / fps, end=(last + 1) / fps, size=size, gray=True)
        for j, frame in enumerate(frames):
            k = first + j
            if k > last:
                break
            if k in wanted:
                analysis.faces[k] = scanner.scan(frame, analysis.time(k), analysis.crops)
                report(k)
        for k in wanted - analysis.faces.keys():  # past the end of the stream: no picture, no faces
            analysis.faces[k] = []
    report(max((max(g, default=-1) for g in grids.values()), default=-1))


def _voice_sample(analysis: EpisodeAnalysis, members: Sequence[Cue]) -> list[tuple[float, float]]:
    """Up to ``voice_sample_s`` of the group's speech (absolute spans): every n-th speech segment of
    its cues, so the sample is spread over the episode."""
    spans = []
    for cue in sorted(members, key=lambda c: c.start):
        spans += [(cue.start + s, cue.start + e) for s, e in analysis.segments(cue.start, cue.end)]
    cap = analysis.params.voice_sample_s
    total = sum(e - s for s, e in spans)
    step = max(1, int(np.ceil(total / cap))) if cap > 0 else 1
    picked, used = [], 0.0
    for s, e in spans[::step]:
        if used >= cap:
            break
        e = min(e, s + cap - used)
        picked.append((round(s, 3), round(e, 3)))
        used += e - s
    return picked


def _voice_key(analysis: EpisodeAnalysis, members: Sequence[Cue]) -> str:
    return stable_hash(_voice_sample(analysis, members))


def profile_for(analysis: EpisodeAnalysis, members: Sequence[Cue]) -> VoiceProfile | None:
    """The voice profile of a group of cues (measured by :func:`analyse_episode`)."""
    return analysis.voices.get(_voice_key(analysis, members))


class AnalysisCache:
    """The measurements of one episode on disk: ``<key>.npz`` (faces and crops) and ``<key>.json``."""

    def __init__(self, directory: Path, key: str, params: AnalysisParams) -> None:
        self.npz = directory / f"{key}.npz"
        self.json = directory / f"{key}.json"
        self.params = params

    def load(self) -> EpisodeAnalysis:
        analysis = EpisodeAnalysis(self.params)
        if not (self.npz.is_file() and self.json.is_file()):
            return analysis
        try:
            meta = json.loads(self.json.read_text(encoding="utf-8"))
            with np.load(self.npz) as data:
                frames, obs = data["frames"], data["obs"]
                crops = list(data["crops"])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("scene analysis cache %s unreadable (%s): measuring again", self.npz, exc)
            return analysis
        analysis.faces = {int(k): [] for k in frames}
        for k, x, y, w, h, score, mouth, crop in obs:
            box = FaceBox(int(x), int(y), int(w), int(h), float(score))
            analysis.faces[int(k)].append(FaceObs(box, float(mouth), int(crop)))
        analysis.crops = crops
        analysis.speech = {k: [tuple(s) for s in v] for k, v in meta["speech"].items()}
        analysis.voices = {k: (VoiceProfile(**v) if v else None) for k, v in meta["voices"].items()}
        return analysis

    def save(self, analysis: EpisodeAnalysis) -> None:
        rows = [
            (k, o.box.x, o.box.y, o.box.w, o.box.h, o.box.score, o.mouth, o.crop)
            for k, found in sorted(analysis.faces.items())
            for o in found
        ]
        crops = np.stack(analysis.crops) if analysis.crops else np.zeros((0, 64, 64), np.uint8)
        with atomic_path(self.npz) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                frames=np.array(sorted(analysis.faces), dtype=np.int64),
                obs=np.array(rows, dtype=np.float64).reshape(-1, 8),
                crops=crops,
            )
        meta: dict[str, Any] = {
            "params": asdict(self.params),
            "speech": analysis.speech,
            "voices": {k: (asdict(v) if v else None) for k, v in analysis.voices.items()},
        }
        write_json(self.json, meta)
