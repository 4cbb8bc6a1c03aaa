"""CoT training data: the JSONL format, frame sampling, SFT rows and reward-built preference pairs.

One JSON object per line::

    {"video": "ep01.mp4",             # or "frames": ["f0.jpg", "f1.jpg", ...] (paths relative to the JSONL)
     "start": 12.3, "end": 14.8,      # the line's span in the video (seconds)
     "text": "Where were you?",       # optional: the line's text (goes into the default prompt)
     "prompt": "...",                 # optional: the user instruction; default: dubkit's CoT instruction
     "response": "<SUMMARY>...</SUMMARY><CAPTION>...</CAPTION><REASONING>...</REASONING><CONCLUSION>{...}</CONCLUSION>",
     "labels": {"scene_type": "dialogue", "gender": "female", "age": "adult", "emotion": "anger"}}

Several lines may share a clip (same video/frames, start, end, prompt) with different responses:
those are the candidate answers of the preference stage. The format reward (the strict parser) and
the accuracy reward (conclusion vs labels) split them: chosen = well formed and correct, rejected =
otherwise (``dubber.scene.rewards``). Each preference row also carries both rewards of both answers
(``format_chosen``, ``format_rejected``, ``accuracy_chosen``, ``accuracy_rejected``): the MPO recipe's format
and accuracy loss terms train on them.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dubber.scene.prompts import SYSTEM_PROMPT, instruction
from dubber.scene.rewards import accuracy_reward, check_labels, format_reward, is_preferred
from evaluator.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CotExample:
    """One JSONL line: a clip (video span or frame files), its prompt, one response and the labels."""

    source: str | tuple[str, ...]  # video path, or the frame image paths
    start: float
    end: float
    prompt: str
    response: str
    labels: dict[str, str]
    text: str = ""

    @property
    def clip_key(self) -> tuple[Any, ...]:
        return (self.source, self.start, self.end, self.prompt)


def load_examples(path: str | Path, mode: str = "cot") -> list[CotExample]:
    """Read and validate the JSONL; a bad line raises ConfigError naming its line number."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such data file")
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not JSON ({exc.msg})") from None
        if ("video" in row) == ("frames" in row):
            raise ConfigError(f"{where}: give exactly one of 'video' or 'frames'")
        if "video" in row:
            source: str | tuple[str, ...] = str(path.parent / row["video"])
        else:
            source = tuple(str(path.parent / f) for f in row["frames"])
        try:
            start, end = float(row["start"]), float(row["end"])
            response = row["response"]
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{where}: needs numeric 'start' and 'end' and a 'response'") from None
        if not 0 <= start < end:
            raise ConfigError(f"{where}: start {start} must be >= 0 and before end {end}")
        text = row.get("text") or ""
        prompt = row.get("prompt") or instruction(mode, start=start, end=end, text=text or None)
        labels = check_labels(row.get("labels"), where)
        out.append(CotExample(source, start, end, prompt, str(response), labels, text))
    if not out:
        raise ConfigError(f"{path}: no examples")
    return out


def clip_frames(example: CotExample, *, fps: float, max_frames: int, max_width: int) -> list[Any]:
    """The clip's frames as PIL images, sampled exactly as the scene readers sample a line."""
    from PIL import Image

    from dubber.scene.base import iter_clips
    from evaluator.script import Cue

    if isinstance(example.source, tuple):
        images = [Image.open(p).convert("RGB") for p in example.source[:max_frames]]
        return [
            im.resize((max_width, round(im.height * max_width / im.width))) if im.width > max_width else im
            for im in images
        ]
    cue = Cue(index=0, start=example.start, end=example.end, text=example.text)
    (clip,) = iter_clips(example.source, [cue], fps=fps, max_frames=max_frames, max_width=max_width, with_audio=False)
    if len(clip.frames) == 0:
        raise ConfigError(f"{example.source}: no frames between {example.start} and {example.end} s")
    return [Image.fromarray(f) for f in clip.frames]


def _prompt_messages(example: CotExample) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": example.prompt}]


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def sft_rows(examples: list[CotExample], frames: dict[Any, list[Any]], mode: str = "cot") -> list[dict[str, Any]]:
    """Prompt-completion rows of the responses that earn both rewards (others are left to the preference stage)."""
    rows = []
    for ex in examples:
        if not is_preferred(ex.response, ex.labels, mode):
            continue
        rows.append(
            {"prompt": _prompt_messages(ex), "completion": _assistant(ex.response), "images": frames[ex.clip_key]}
        )
    logger.info("SFT: %d of %d responses are well formed and correct", len(rows), len(examples))
    return rows


def preference_rows(
    examples: list[CotExample], frames: dict[Any, list[Any]], *, mode: str = "cot", max_pairs_per_clip: int = 4
) -> list[dict[str, Any]]:
    """Pairs per clip: every rejected answer against a chosen one (cycling), at most ``max_pairs_per_clip``."""
    groups: dict[Any, list[CotExample]] = {}
    for ex in examples:
        groups.setdefault(ex.clip_key, []).append(ex)
    rows = []
    for key, group in groups.items():
        chosen = list(dict.fromkeys(e.response for e in group if is_preferred(e.response, e.labels, mode)))
        rejected = list(dict.fromkeys(e.response for e in group if not is_preferred(e.response, e.labels, mode)))
        if not chosen or not rejected:
            logger.info(
                "clip %s %.2f-%.2f: %d chosen, %d rejected: no pair", key[0], key[1], key[2], len(chosen), len(rejected)
            )
            continue
        labels = group[0].labels
        for good, bad in itertools.islice(zip(itertools.cycle(chosen), rejected), max_pairs_per_clip):
            rows.append(
                {
                    "prompt": _prompt_messages(group[0]),
                    "chosen": _assistant(good),
                    "rejected": _assistant(bad),
                    "images": frames[key],
                    **reward_columns(good, bad, labels, mode),
                }
            )
    logger.info("MPO: %d preference pairs from %d clips", len(rows), len(groups))
    return rows


def reward_columns(chosen: str, rejected: str, labels: dict[str, str], mode: str = "cot") -> dict[str, float]:
    """The format and accuracy rewards of both answers of a pair (the targets of the MPO reward loss terms)."""
    return {
        "format_chosen": format_reward(chosen, mode),
        "format_rejected": format_reward(rejected, mode),
        "accuracy_chosen": accuracy_reward(chosen, labels, mode),
        "accuracy_rejected": accuracy_reward(rejected, labels, mode),
    }


def load_frames(examples: list[CotExample], *, fps: float, max_frames: int, max_width: int) -> dict[Any, list[Any]]:
    """Frames of every distinct clip, decoded once."""
    out: dict[Any, list[Any]] = {}
    for ex in examples:
        if ex.clip_key not in out:
            out[ex.clip_key] = clip_frames(ex, fps=fps, max_frames=max_frames, max_width=max_width)
    return out
