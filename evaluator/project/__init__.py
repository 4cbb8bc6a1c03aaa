"""A dub project on disk: the manifest and the line record it stores, with the line's typed conditions.

- :mod:`evaluator.project.record`: the line record (:class:`Line`) and its parts (plan, takes, fit,
  candidates, score);
- :mod:`evaluator.project.conditions`: what a line is spoken under (scene reading, retrieved hits,
  video span, voice prompt, guidance);
- :mod:`evaluator.project.manifest`: ``manifest.json`` (versioned, atomic writes, migration from v1).
"""

from evaluator.project.conditions import (
    GUIDANCE_GROUPS,
    PROMPT_MIN_S,
    REFERENCE_MAX_S,
    REFERENCE_MIN_S,
    Conditions,
    Guidance,
    Hit,
    SceneReading,
    Style,
    VideoSpan,
    VoicePrompt,
)
from evaluator.project.manifest import (
    KIND,
    MANIFEST_NAME,
    SCHEMA_VERSION,
    FileStamp,
    Manifest,
    RunStamp,
    Speaker,
    load_manifest,
    manifest_path,
    migrate_v1_to_v2,
    save_manifest,
)
from evaluator.project.record import Candidate, Fit, Line, LineScore, LineTranslation, Plan, Take

__all__ = [
    "GUIDANCE_GROUPS",
    "KIND",
    "MANIFEST_NAME",
    "PROMPT_MIN_S",
    "REFERENCE_MAX_S",
    "REFERENCE_MIN_S",
    "SCHEMA_VERSION",
    "Candidate",
    "Conditions",
    "FileStamp",
    "Fit",
    "Guidance",
    "Hit",
    "Line",
    "LineScore",
    "LineTranslation",
    "Manifest",
    "Plan",
    "RunStamp",
    "SceneReading",
    "Speaker",
    "Style",
    "Take",
    "VideoSpan",
    "VoicePrompt",
    "load_manifest",
    "manifest_path",
    "migrate_v1_to_v2",
    "save_manifest",
]
