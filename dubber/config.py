"""The run configuration of ``dubkit dub``: one frozen dataclass, defaults here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dubber.fitting import FitCaps
from evaluator.errors import ConfigError

if TYPE_CHECKING:
    from evaluator.review.verdicts import ReviewVerdicts


@dataclass(frozen=True)
class DubConfig:
    """Everything one dubbing run depends on.

    >>> cfg = DubConfig(video=Path("ep.mp4"), script=Path("ep.en.srt"), output=Path("ep.dub.mp4"))
    >>> cfg.resolved_project()
    PosixPath('ep.dub.dubkit')
    """

    video: Path
    script: Path | None  # the target-language script; None when the translate stage makes it
    output: Path
    project: Path | None = None
    lang: str = "en"
    synth: str = "piper"
    synth_options: dict[str, Any] = field(default_factory=dict)
    background: Path | None = None
    background_pad: bool = False  # accept a background stem shorter than the video (padded with silence)
    keep_original_audio: bool = False
    caps: FitCaps = field(default_factory=FitCaps)
    match_pitch: bool = True  # move non-cloning voices toward each speaker's pitch and formants
    voices: dict[str, str] = field(default_factory=dict)  # speaker -> the synthesizer's voice for them
    force_lines: frozenset[int] = frozenset()
    review: ReviewVerdicts | None = None  # a reviewer's verdicts: checked against the episode, notes recorded
    seed: int = 0
    duck_db: float = 15.0
    mix_sr: int = 48000
    trim_top_db: float = 40.0
    source_script: Path | None = None
    cot: str = "heuristic"  # scene reader backend, or "none"
    cot_options: dict[str, Any] = field(default_factory=dict)
    library: Path | None = None
    library_k: int = 3
    same_speaker: bool = False
    candidates: int = 1  # generate-score loop: candidates drawn per line
    min_score: float | None = None  # re-draw a line whose best candidate scores under this
    dubscore_model: Path | None = None  # score candidates with DubScore instead of the proxy
    chunk: int = 8  # lines rendered together (at least the synthesizer's batch); saved after each chunk
    # the source side: transcribe the episode (no source script), translate the source script
    transcribe: str | None = None  # transcription backend (dubber.transcribe), or None
    transcribe_options: dict[str, Any] = field(default_factory=dict)
    speakers: int | None = None  # speakers in the episode, for transcription (None: chosen by the diarizer)
    source_lang: str | None = None  # the source's language (transcription, translation)
    translate: str | None = None  # translation backend (dubber.translate), or None
    translate_options: dict[str, Any] = field(default_factory=dict)
    glossary: Path | None = None  # source,target CSV of terms the translation must keep
    rebuild: bool = False  # start the project afresh: its old files are moved aside (the inputs are kept)

    def __post_init__(self) -> None:
        self._check_source_side()
        if self.candidates < 1:
            raise ConfigError(f"candidates must be at least 1, got {self.candidates}", param="candidates")
        if self.min_score is not None and self.candidates < 2:
            raise ConfigError("min_score re-draws weak candidates: it needs candidates of 2 or more", param="min_score")
        if self.dubscore_model is not None and self.candidates < 2:
            raise ConfigError(
                "dubscore_model scores candidates: it needs candidates of 2 or more", param="dubscore_model"
            )
        if self.chunk < 1:
            raise ConfigError(f"chunk must be at least 1, got {self.chunk}", param="chunk")
        if self.library_k < 1:
            raise ConfigError(f"library_k must be at least 1, got {self.library_k}", param="library_k")
        if self.duck_db < 0:
            raise ConfigError(f"duck_db must be >= 0 dB, got {self.duck_db}", param="duck_db")

    def _check_source_side(self) -> None:
        if self.translate is not None:
            if self.script is not None:
                raise ConfigError(
                    "give script or translate, not both (translate makes the target-language lines from the source)",
                    param=("script", "translate"),
                )
            if self.source_script is None and self.transcribe is None:
                raise ConfigError(
                    "translate needs the source: a source_script, or transcribe to make one",
                    param=("translate", "source_script", "transcribe"),
                )
        if self.transcribe is not None and self.source_script is not None:
            raise ConfigError(
                "give source_script or transcribe (to make one from the episode), not both",
                param=("source_script", "transcribe"),
            )
        if self.script is None and self.translate is None and self.transcribe is None:
            raise ConfigError("a dub needs a target script, or translate to make one", param=("script", "translate"))
        if self.speakers is not None and self.speakers < 1:
            raise ConfigError(f"speakers must be at least 1, got {self.speakers}", param="speakers")

    def resolved_project(self) -> Path:
        return self.project if self.project is not None else self.output.with_suffix(".dubkit")

    def dub_wav_path(self) -> Path:
        return self.output.with_suffix(".dub.wav")

    def subtitles_path(self) -> Path:
        return self.output.with_suffix(".srt")

    def line_params(self) -> dict[str, Any]:
        """The options that change how a line is rendered (part of each line's input hash)."""
        return {
            "synth": self.synth,
            "synth_options": {k: str(v) for k, v in sorted(self.synth_options.items())},
            "caps": [self.caps.min_ratio, self.caps.max_ratio, self.caps.max_borrow],
            "match_pitch": self.match_pitch,
            "sr": self.mix_sr,
            "trim_top_db": self.trim_top_db,
        }
