"""``heuristic``: an offline scene reader built from models that ship in wheels.

Per line it measures, on frames sampled at ``fps``:
1. people: faces followed through the frames (dlib HOG detector), a person = a face track seen in at
   least ``min_coverage`` of the frames;
2. talking: each face's mouth opening (dlib 68 landmarks) moves during the line's speech (Silero VAD
   on the original audio) and moves more in speech than in silence;
3. scene type: a talking face and 2+ people -> dialogue; a talking face alone -> monologue; speech
   with no talking face (voice-over, nobody on screen) -> narration;
4. speaker: gender and age group from the voice (pitch and spectral statistics of the speaker's
   speech: a named speaker's pooled over their lines, see :mod:`dubber.scene.episode_analysis`),
   emotion from the talking (else largest) face's expression (FER-2013 model mapped onto MELD's
   seven emotions).

An episode is measured once (:meth:`HeuristicSceneReader.read_episode`: one decode per stretch of
cues, the face detector only where the picture changed, voice activity per stretch, a voice
profile per speaker, expressions batched), cached in the project; per line only the decisions
above are made. It writes the four tagged texts from the measurements, so its readings look like a
VLM's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from dubber.scene.base import SceneClip, SceneReader
from dubber.scene.episode_analysis import (
    AnalysisCache,
    AnalysisParams,
    FaceObs,
    FaceScanner,
    analyse_episode,
    profile_for,
    voice_group,
)
from dubber.scene.labels import FER_TO_EMOTION
from dubber.scene.parser import parse_response
from dubber.scene.prompts import render_conclusion
from evaluator.encoders.voice import VoiceProfile
from evaluator.project import SceneReading
from evaluator.script import Cue

logger = logging.getLogger(__name__)


@dataclass
class _Evidence:
    """What one line is read from: faces in its sampled frames, its speech, its speaker's voice."""

    cue: Cue
    times: np.ndarray  # absolute, one per frame
    faces: list[list[FaceObs]]  # per frame, largest first
    segments: list[tuple[float, float]]  # speech, relative to the cue start
    profile: VoiceProfile | None
    voice_source: str


@dataclass
class _Decision:
    """The per-line decisions before the expression is known."""

    people: list[list[int | None]]  # tracks seen steadily: per frame, the face's index in that frame
    scores: list[dict[str, float]]
    speaker: int | None  # index into people
    scene: str
    scene_conf: float
    speech_ratio: float
    crops: list[int]  # expression crops of the speaker's (else the largest) face


class HeuristicSceneReader(SceneReader):
    """Faces, mouth motion, voice activity, pitch and facial expression; no VLM."""

    name = "heuristic"

    def __init__(
        self,
        *,
        fps: float = AnalysisParams.fps,
        max_frames: int = 16,
        max_width: int = AnalysisParams.max_width,
        min_coverage: float = 0.4,
        motion_threshold: float = 0.012,
        detector: str = AnalysisParams.detector,
        redetect_s: float = AnalysisParams.redetect_s,
        change_threshold: float = AnalysisParams.change_threshold,
        voice_sample_s: float = AnalysisParams.voice_sample_s,
    ) -> None:
        self.fps = fps
        self.max_frames = max_frames
        self.max_width = max_width
        self.min_coverage = min_coverage
        self.motion_threshold = motion_threshold
        self.detector = detector
        self.params = AnalysisParams(
            fps=fps,
            max_width=max_width,
            detector=detector,
            redetect_s=redetect_s,
            change_threshold=change_threshold,
            voice_sample_s=voice_sample_s,
        )

    @property
    def model_id(self) -> str:
        from evaluator.encoders.face import DETECTOR_DLIB_ID, DETECTOR_HAAR_ID, EXPRESSION_ID, LANDMARKS_ID
        from evaluator.encoders.voice import VAD_ID, VOICE_PROFILE_ID

        det = DETECTOR_DLIB_ID if self.detector == "dlib" else DETECTOR_HAAR_ID
        return f"heuristic-v2[{det}; {LANDMARKS_ID}; {EXPRESSION_ID}; {VAD_ID}; {VOICE_PROFILE_ID}]"

    @cached_property
    def faces(self):  # noqa: ANN201 - FaceAnalyzer
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer(self.detector)

    @cached_property
    def vad(self):  # noqa: ANN201 - VoiceActivity
        from evaluator.encoders.voice import VoiceActivity

        return VoiceActivity()

    def unload(self) -> None:
        for name in ("faces", "vad"):
            obj = self.__dict__.pop(name, None)
            if obj is not None:
                obj.unload()

    # ------------------------------------------------------------------------------------------
    def read_episode(
        self,
        video: str | os.PathLike[str],
        cues: Sequence[Cue],
        *,
        cache_dir: Path | None = None,
        video_hash: str | None = None,
        progress: Callable[[], None] | None = None,
    ) -> list[SceneReading]:
        """Read every cue of one video, measuring the episode once (cached in ``cache_dir`` under
        the video's hash when both are given)."""
        cache = None
        if cache_dir is not None and video_hash is not None:
            cache = AnalysisCache(Path(cache_dir), self.params.key(video_hash, self.model_id), self.params)
        analysis = analyse_episode(
            video, cues, self.params, faces=self.faces, vad=self.vad, cache=cache, progress=progress
        )
        groups: dict[str, list[Cue]] = {}
        for cue in cues:
            groups.setdefault(voice_group(cue), []).append(cue)
        evidence = []
        for cue in cues:
            ks = analysis.grid(cue.start, cue.end)
            if len(ks) > self.max_frames:
                ks = [ks[i] for i in np.linspace(0, len(ks) - 1, self.max_frames).round().astype(int)]
            members = groups[voice_group(cue)]
            source = (
                f"speaker {cue.speaker}'s speech over {len(members)} line(s)"
                if len(members) > 1
                else "this line's speech"
            )
            evidence.append(
                _Evidence(
                    cue=cue,
                    times=np.array([analysis.time(k) for k in ks]),
                    faces=[analysis.faces.get(k, []) for k in ks],
                    segments=analysis.segments(cue.start, cue.end),
                    profile=profile_for(analysis, members),
                    voice_source=source,
                )
            )
        decisions = [self._decide(ev) for ev in evidence]
        wanted = sorted({i for d in decisions for i in d.crops})
        probs = self._expressions({i: analysis.crops[i] for i in wanted})
        return [self._reading(ev, d, probs) for ev, d in zip(evidence, decisions, strict=True)]

    def read(self, clip: SceneClip) -> SceneReading:
        """Read one clip on its own (its frames and audio as given)."""
        from evaluator.encoders.voice import voice_profile

        crops: list[np.ndarray] = []
        scanner = FaceScanner(self.faces, self.params)
        faces = [scanner.scan(f, float(t), crops) for f, t in zip(clip.frames, clip.times, strict=True)]
        segs: list[tuple[float, float]] = []
        profile = None
        if clip.audio is not None and len(clip.audio) > 0:
            segs = self.vad.segments(clip.audio, clip.sr)
            if segs:
                parts = [clip.audio[int(s * clip.sr) : int(e * clip.sr)] for s, e in segs]
                profile = voice_profile(np.concatenate(parts), clip.sr)
        ev = _Evidence(clip.cue, np.asarray(clip.times, dtype=np.float64), faces, segs, profile, "this line's speech")
        decision = self._decide(ev)
        return self._reading(ev, decision, self._expressions({i: crops[i] for i in decision.crops}))

    def _expressions(self, crops: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        """Expression probabilities of each crop, averaged with its mirror image (the model reads a
        face and its mirror differently, by up to 0.2 on one class: averaging steadies it)."""
        if not crops:
            return {}
        faces = np.stack(list(crops.values()))
        found = self.faces.expressions(np.concatenate([faces, faces[:, :, ::-1]]))
        n = len(faces)
        return {i: (found[j].probs + found[n + j].probs) / 2 for j, i in enumerate(crops)}

    # ------------------------------------------------------------------------------------------
    def _talk_score(self, mouth: np.ndarray, speaking: np.ndarray) -> dict[str, float]:
        """Mouth motion in speech and in silence frames of one face track."""
        m = mouth.copy()
        ok = np.isfinite(m)
        if ok.sum() < 2:
            return {"motion_speech": 0.0, "motion_silence": 0.0}
        idx = np.arange(len(m))
        m[~ok] = np.interp(idx[~ok], idx[ok], m[ok])
        motion = np.abs(np.diff(m, prepend=m[0]))
        motion[0] = motion[1] if len(motion) > 1 else 0.0
        sp = ok & (speaking >= 0.5)
        # silence: no speech in the frame's window nor in its neighbours' (the jaw closes after speech)
        quiet = speaking == 0
        quiet[1:] &= speaking[:-1] == 0
        quiet[:-1] &= speaking[1:] == 0
        si = ok & quiet
        if si.sum() < 4:  # too few silent frames to compare against
            si = np.zeros_like(si)
        return {
            "motion_speech": float(motion[sp].mean()) if sp.any() else 0.0,
            "motion_silence": float(motion[si].mean()) if si.any() else float("nan"),
        }

    def _decide(self, ev: _Evidence) -> _Decision:
        from evaluator.encoders.face import link_tracks
        from evaluator.encoders.voice import activity_at

        n = len(ev.faces)
        tracks = link_tracks([[o.box for o in frame] for frame in ev.faces]) if n else []
        people = [t for t in tracks if np.mean([j is not None for j in t]) >= self.min_coverage]
        rel = ev.times - ev.cue.start
        speaking = activity_at(ev.segments, rel, window_s=max(1.0 / self.fps, 0.1)) if n else np.zeros(0)
        speech_ratio = float(speaking.mean()) if n else 0.0
        mouths = [np.array([np.nan if j is None else ev.faces[i][j].mouth for i, j in enumerate(t)]) for t in people]
        scores = [self._talk_score(m, speaking) for m in mouths]
        talking = [
            i
            for i, s in enumerate(scores)
            if s["motion_speech"] > self.motion_threshold
            and not (np.isfinite(s["motion_silence"]) and s["motion_speech"] < 1.2 * s["motion_silence"])
        ]
        speaker = max(talking, key=lambda i: scores[i]["motion_speech"]) if talking else None
        has_speech = bool(ev.segments)
        if speaker is not None and has_speech:
            scene = "dialogue" if len(people) >= 2 else "monologue"
        else:
            scene = "narration"
        # scene confidence: how far the deciding motion is from the threshold
        best = max((s["motion_speech"] for s in scores), default=0.0)
        margin = abs(np.log((best + 1e-4) / self.motion_threshold))
        scene_conf = float(0.5 + 0.5 * np.tanh(margin)) if people else (0.9 if has_speech else 0.5)
        # expression of the speaker's (else the largest) face, averaged over up to 5 frames
        track = people[speaker] if speaker is not None else (people[0] if people else None)
        crops: list[int] = []
        if track is not None:
            frames = [i for i, j in enumerate(track) if j is not None]
            pick = [frames[j] for j in np.linspace(0, len(frames) - 1, min(5, len(frames))).round().astype(int)]
            crops = [ev.faces[i][track[i]].crop for i in pick]
        return _Decision(people, scores, speaker, scene, scene_conf, speech_ratio, crops)

    def _reading(self, ev: _Evidence, d: _Decision, probs_of: dict[int, np.ndarray]) -> SceneReading:
        from evaluator.encoders.face import EXPRESSION_LABELS

        cue, n, profile = ev.cue, len(ev.faces), ev.profile
        gender = profile.gender if profile else "male"
        age = profile.age_group if profile else "adult"
        emotion, emo_conf, expr_probs = "neutral", 0.0, None
        if d.crops:
            probs = np.mean([probs_of[i] for i in d.crops], axis=0)
            expr_probs = {k: round(float(p), 4) for k, p in zip(EXPRESSION_LABELS, probs, strict=True)}
            top = int(np.argmax(probs))
            emotion, emo_conf = FER_TO_EMOTION[EXPRESSION_LABELS[top]], float(probs[top])
        parts_conf = [d.scene_conf, profile.gender_confidence if profile else 0.0]
        if d.crops:
            parts_conf.append(emo_conf)
        confidence = round(float(np.mean(parts_conf)), 3)
        values = {
            "scene_type": d.scene,
            "num_people": len(d.people),
            "speaker_talking": d.speaker is not None,
            "gender": gender,
            "age": age,
            "emotion": emotion,
            "confidence": confidence,
        }
        meas: dict[str, Any] = {
            "frames": n,
            "faces_per_frame": [len(found) for found in ev.faces],
            "face_tracks": [
                {
                    "coverage": round(float(np.mean([j is not None for j in t])), 3),
                    **{k: round(v, 4) for k, v in s.items()},
                }
                for t, s in zip(d.people, d.scores, strict=True)
            ],
            "speech_ratio": round(d.speech_ratio, 3),
            "speech_segments": [(round(s, 3), round(e, 3)) for s, e in ev.segments],
            "voice": profile.to_dict() if profile else None,
            "voice_source": ev.voice_source,
            "expression": expr_probs,
        }
        summary, caption, reasoning = self._texts(cue, values, meas, profile, d.speaker, emo_conf)
        text = "".join(
            f"<{t}>{b}</{t}>"
            for t, b in (
                ("SUMMARY", summary),
                ("CAPTION", caption),
                ("REASONING", reasoning),
                ("CONCLUSION", render_conclusion(values)),
            )
        )
        parse_response(text, "cot")  # the heuristic's own texts must pass the strict parser
        return SceneReading(
            scene_type=d.scene,
            num_people=len(d.people),
            speaker_on_screen_talking=d.speaker is not None,
            gender=gender,
            age=age,
            emotion=emotion,
            confidence=confidence,
            backend=self.name,
            model=self.model_id,
            summary=summary,
            caption=caption,
            reasoning=reasoning,
            conclusion=render_conclusion(values),
            format_ok=True,
            cue_index=cue.index,
            start=cue.start,
            end=cue.end,
            measurements=meas,
        )

    def _texts(self, cue, values, meas, profile, speaker, emo_conf) -> tuple[str, str, str]:  # noqa: ANN001
        n = meas["frames"]
        people = values["num_people"]
        summary = (
            f"Decide the scene type and the speaker's gender, age and emotion for the line "
            f"{cue.start:.2f}-{cue.end:.2f} s from {n} sampled frames and the original audio."
        )
        with_face = sum(1 for c in meas["faces_per_frame"] if c)
        caption = (
            f"{people} person(s) seen steadily; a face is visible in {with_face} of {n} frames "
            f"(at most {max(meas['faces_per_frame'], default=0)} at once). "
            f"Speech covers {100 * meas['speech_ratio']:.0f}% of the line."
        )
        motions = (
            "; ".join(
                f"face {i + 1}: mouth motion {t['motion_speech']:.4f} in speech, {t['motion_silence']:.4f} in silence"
                for i, t in enumerate(meas["face_tracks"])
            )
            or "no face to watch"
        )
        talk = f"face {speaker + 1} is talking" if speaker is not None else "no visible face is talking"
        if profile is not None:
            voice = (
                f"the voice ({meas['voice_source']}) has a median F0 of {profile.f0_median_hz:.0f} Hz "
                f"and jitter {profile.jitter:.3f}, "
                f"so {values['gender']} ({profile.gender_confidence:.2f}), {values['age']}"
            )
        else:
            voice = "no voiced speech to measure, so gender and age are defaults"
        emo = (
            f"the face looks {values['emotion']} ({emo_conf:.2f})" if meas["expression"] else "no face, emotion neutral"
        )
        reasoning = (
            f"Step 1: {people} person(s) on screen. Step 2: {motions} (threshold {self.motion_threshold}); {talk}. "
            f"Step 3: this is {values['scene_type']}. Step 4: {voice}; {emo}."
        )
        return summary, caption, reasoning
