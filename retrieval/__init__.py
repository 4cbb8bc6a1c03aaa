"""The reference footage library: emotion vectors of clips, stored on disk and searched per modality."""

from retrieval.clips import ClipSpec, clips_from_project, clips_from_script, clips_from_subtitles, read_dataset
from retrieval.hits import QueryVectors
from retrieval.library import BuildReport, FootageLibrary
from retrieval.project import retrieve_lines
from retrieval.prompts import pick_voice_prompt, retrieve_for_line

__all__ = [
    "BuildReport",
    "ClipSpec",
    "FootageLibrary",
    "QueryVectors",
    "clips_from_project",
    "clips_from_script",
    "clips_from_subtitles",
    "pick_voice_prompt",
    "read_dataset",
    "retrieve_for_line",
    "retrieve_lines",
]
