"""Building demo episodes offline from packaged material.

The picture is a real photo that ships with matplotlib; the original dialogue is Spanish from
espeak-ng (two speakers, female and male); the music bed is synthesized; the English target
script has a ``NAME:`` prefix per cue. Used by ``make demo``, the tests and the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluator.fileio import atomic_path, write_text
from evaluator.media.audio import resample, write_wav
from evaluator.media.tools import binary, run

#: (speaker, Spanish original, English target)
LINES = [
    ("ANNA", "Buenos días. ¿Has visto las noticias esta mañana?", "Good morning. Did you see the news this morning?"),
    (
        "BEN",
        "Sí, parece que el puerto estará cerrado toda la semana.",
        "Yes, it looks like the port will be closed all week.",
    ),
    ("ANNA", "Entonces tendremos que cambiar el plan del viaje.", "Then we will have to change the travel plan."),
    (
        "BEN",
        "No te preocupes, conozco otra ruta por las montañas.",
        "Don't worry, I know another route through the mountains.",
    ),
    ("ANNA", "¿Es segura en esta época del año?", "Is it safe at this time of year?"),
    ("BEN", "Si salimos temprano, llegaremos antes de la nieve.", "If we leave early, we will arrive before the snow."),
    ("ANNA", "De acuerdo. Prepararé el café y los mapas.", "All right. I will get the coffee and the maps ready."),
    ("BEN", "Perfecto. Nos vemos en la estación a las seis.", "Perfect. See you at the station at six."),
]
VOICES = {"ANNA": "female", "BEN": "male"}
SR = 48000


@dataclass(frozen=True)
class DemoEpisode:
    video: Path
    script: Path
    source_script: Path
    music: Path
    duration: float
    lines: int


def photo_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def music_bed(duration: float, sr: int = SR, level_db: float = -26.0, seed: int = 0) -> np.ndarray:
    """A soft chord progression (stereo), two seconds per chord, at about ``level_db`` dBFS RMS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sr)) / sr
    chords = [(220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (196.0, 246.94, 329.63)]
    out = np.zeros((len(t), 2), dtype=np.float64)
    seg = 2 * sr
    for k in range(0, len(t), seg):
        freqs = chords[(k // seg) % len(chords)]
        tt = t[k : k + seg] - t[k]
        env = np.minimum(1.0, tt / 0.3) * np.exp(-tt * 0.6)
        for j, f in enumerate(freqs):
            pan = 0.3 + 0.2 * j
            tone = np.sin(2 * np.pi * f * tt + rng.uniform(0, 6.28)) * env
            out[k : k + seg, 0] += tone * (1 - pan)
            out[k : k + seg, 1] += tone * pan
    rms = np.sqrt(np.mean(out**2)) or 1.0
    return (out / rms * 10 ** (level_db / 20)).astype(np.float32)


def build_demo(
    out_dir: str | Path, n_lines: int = 8, gap: float = 0.6, lead_in: float = 1.0, width: int = 640
) -> DemoEpisode:
    """Write ``demo.mp4`` (photo + Spanish dialogue over music), ``demo.en.srt`` (target script),
    ``demo.es.srt`` (source script) and ``music.wav`` (the music-and-effects stem) into ``out_dir``."""
    from dubber.synth import SynthRequest
    from dubber.synth.espeak import EspeakSynthesizer
    from evaluator.script import write_srt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    voices = {name: EspeakSynthesizer(gender=gender) for name, gender in VOICES.items()}
    t = lead_in
    dialogue: list[tuple[float, np.ndarray]] = []
    target_cues, source_cues = [], []
    for i in range(n_lines):
        speaker, es, en = LINES[i % len(LINES)]
        speech = voices[speaker].synthesize(SynthRequest(es, "es"))
        audio = resample(speech.audio, speech.sr, SR) * 0.5
        dur = len(audio) / SR
        dialogue.append((t, audio))
        target_cues.append((t, t + dur + 0.1, f"{speaker}: {en}"))
        source_cues.append((t, t + dur + 0.1, f"{speaker}: {es}"))
        t += dur + gap
    duration = round(t + 1.0, 2)
    n = int(duration * SR)
    music = music_bed(duration)
    mix = music.copy()
    for start, audio in dialogue:
        i = int(start * SR)
        mix[i : i + len(audio)] += audio[: n - i, None]
    write_wav(out / "music.wav", music, SR)
    audio_path = out / "original.wav"
    write_wav(audio_path, mix, SR)
    height = int(round(width * 1.2 / 2)) * 2
    with atomic_path(out / "demo.mp4") as tmp:
        run(
            [
                binary("ffmpeg"),
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-loop",
                "1",
                "-framerate",
                "25",
                "-i",
                str(photo_path()),
                "-i",
                str(audio_path),
                "-t",
                f"{duration}",
                "-vf",
                f"scale={width}:{height},format=yuv420p",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-tune",
                "stillimage",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-shortest",
                str(tmp),
            ],
            what="building the demo video",
        )
    audio_path.unlink()
    write_srt(out / "demo.en.srt", target_cues)
    write_srt(out / "demo.es.srt", source_cues)
    write_text(
        out / "README.txt",
        "Demo episode built offline by dubkit (dubber/demo.py): photo from matplotlib's "
        "sample data, Spanish dialogue from espeak-ng, a synthesized music bed.\n",
    )
    return DemoEpisode(
        video=out / "demo.mp4",
        script=out / "demo.en.srt",
        source_script=out / "demo.es.srt",
        music=out / "music.wav",
        duration=duration,
        lines=n_lines,
    )
