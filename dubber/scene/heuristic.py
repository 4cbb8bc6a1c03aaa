"""``heuristic``: an offline scene reader built from models that ship in wheels.

Per line it measures, on frames sampled at ``fps``:
1. people: faces followed through the frames (dlib HOG detector), a person = a face track seen in at
   least ``min_coverage`` of the frames;
2. talking: each face's mouth opening (dlib 68 landmarks) moves during the line's speech (Silero VAD
   on the original audio) and moves more in speech than in silence;
3. scene type: a talking face and 2+ people -> dialogue; a talking face alone -> monologue; speech
   with no talking face (voice-over, nobody on screen) -> narration;
4. speaker: gender and age group from the voice (pitch and spectral statistics), emotion from the
   talking (else largest) face's expression (FER-2013 model mapped onto MELD's seven emotions).

It writes the four tagged texts from these measurements, so its readings look like a VLM's.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

import numpy as np

from dubber.scene.base import SceneClip, SceneReader
from dubber.scene.labels import FER_TO_EMOTION
from dubber.scene.parser import parse_response
from dubber.scene.prompts import render_conclusion
from evaluator.project import SceneReading

logger = logging.getLogger(__name__)


class HeuristicSceneReader(SceneReader):
    """Faces, mouth motion, voice activity, pitch and facial expression; no VLM."""

    name = "heuristic"

    def __init__(
        self,
        *,
        fps: float = 4.0,
        max_frames: int = 16,
        max_width: int = 480,
        min_coverage: float = 0.4,
        motion_threshold: float = 0.012,
        detector: str = "dlib",
    ) -> None:
        self.fps = fps
        self.max_frames = max_frames
        self.max_width = max_width
        self.min_coverage = min_coverage
        self.motion_threshold = motion_threshold
        self.detector = detector

    @property
    def model_id(self) -> str:
        from evaluator.encoders.face import DETECTOR_DLIB_ID, DETECTOR_HAAR_ID, EXPRESSION_ID, LANDMARKS_ID
        from evaluator.encoders.voice import VAD_ID, VOICE_PROFILE_ID

        det = DETECTOR_DLIB_ID if self.detector == "dlib" else DETECTOR_HAAR_ID
        return f"heuristic-v1[{det}; {LANDMARKS_ID}; {EXPRESSION_ID}; {VAD_ID}; {VOICE_PROFILE_ID}]"

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
    def _speech(self, clip: SceneClip) -> tuple[np.ndarray, list[tuple[float, float]]]:
        """Speech activity at each frame time and the speech segments (relative to the cue start)."""
        from evaluator.encoders.voice import activity_at

        if clip.audio is None or len(clip.audio) == 0:
            return np.zeros(len(clip.times)), []
        segs = self.vad.segments(clip.audio, clip.sr)
        rel = clip.times - clip.cue.start
        return activity_at(segs, rel, window_s=max(1.0 / self.fps, 0.1)), segs

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

    def read(self, clip: SceneClip) -> SceneReading:
        from evaluator.encoders.voice import voice_profile

        cue, n = clip.cue, len(clip.frames)
        tracks = self.faces.face_tracks(clip.frames) if n else []
        people = [t for t in tracks if t.coverage >= self.min_coverage]
        speaking, segs = self._speech(clip)
        speech_ratio = float(speaking.mean()) if n else 0.0
        scores = [self._talk_score(t.mouth, speaking) for t in people]
        talking = [
            i
            for i, s in enumerate(scores)
            if s["motion_speech"] > self.motion_threshold
            and not (np.isfinite(s["motion_silence"]) and s["motion_speech"] < 1.2 * s["motion_silence"])
        ]
        speaker = max(talking, key=lambda i: scores[i]["motion_speech"]) if talking else None
        has_speech = bool(segs)
        if speaker is not None and has_speech:
            scene = "dialogue" if len(people) >= 2 else "monologue"
        else:
            scene = "narration"
        # scene confidence: how far the deciding motion is from the threshold
        best = max((s["motion_speech"] for s in scores), default=0.0)
        margin = abs(np.log((best + 1e-4) / self.motion_threshold))
        scene_conf = float(0.5 + 0.5 * np.tanh(margin)) if people else (0.9 if has_speech else 0.5)

        # speaker voice
        profile = None
        if clip.audio is not None and segs:
            parts = [clip.audio[int(s * clip.sr) : int(e * clip.sr)] for s, e in segs]
            profile = voice_profile(np.concatenate(parts), clip.sr)
        gender = profile.gender if profile else "male"
        age = profile.age_group if profile else "adult"

        # expression of the speaker's (else the largest) face, averaged over up to 5 frames
        face_track = people[speaker] if speaker is not None else (people[0] if people else None)
        emotion, emo_conf, expr_probs = "neutral", 0.0, None
        if face_track is not None:
            frames = [i for i, b in enumerate(face_track.boxes) if b is not None]
            pick = [frames[j] for j in np.linspace(0, len(frames) - 1, min(5, len(frames))).round().astype(int)]
            probs = np.mean([self.faces.expression(clip.frames[i], face_track.boxes[i]).probs for i in pick], axis=0)
            from evaluator.encoders.face import EXPRESSION_LABELS

            expr_probs = {k: round(float(p), 4) for k, p in zip(EXPRESSION_LABELS, probs, strict=True)}
            top = int(np.argmax(probs))
            emotion, emo_conf = FER_TO_EMOTION[EXPRESSION_LABELS[top]], float(probs[top])

        parts_conf = [scene_conf, profile.gender_confidence if profile else 0.0]
        if face_track is not None:
            parts_conf.append(emo_conf)
        confidence = round(float(np.mean(parts_conf)), 3)
        values = {
            "scene_type": scene,
            "num_people": len(people),
            "speaker_talking": speaker is not None,
            "gender": gender,
            "age": age,
            "emotion": emotion,
            "confidence": confidence,
        }
        meas: dict[str, Any] = {
            "frames": n,
            "faces_per_frame": [int(sum(t.boxes[i] is not None for t in tracks)) for i in range(n)],
            "face_tracks": [
                {"coverage": round(t.coverage, 3), **{k: round(v, 4) for k, v in s.items()}}
                for t, s in zip(people, scores, strict=True)
            ],
            "speech_ratio": round(speech_ratio, 3),
            "speech_segments": [(round(s, 3), round(e, 3)) for s, e in segs],
            "voice": profile.to_dict() if profile else None,
            "expression": expr_probs,
        }
        summary, caption, reasoning = self._texts(clip, values, meas, profile, speaker, emo_conf)
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
            scene_type=scene,
            num_people=len(people),
            speaker_on_screen_talking=speaker is not None,
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

    def _texts(self, clip, values, meas, profile, speaker, emo_conf) -> tuple[str, str, str]:  # noqa: ANN001
        n = meas["frames"]
        people = values["num_people"]
        summary = (
            f"Decide the scene type and the speaker's gender, age and emotion for the line "
            f"{clip.cue.start:.2f}-{clip.cue.end:.2f} s from {n} sampled frames and the original audio."
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
                f"the voice has a median F0 of {profile.f0_median_hz:.0f} Hz and jitter {profile.jitter:.3f}, "
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
