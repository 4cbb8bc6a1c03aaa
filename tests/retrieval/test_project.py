"""Retrieval for every line of the demo episode (what ``dubkit dub --library`` records per line)."""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner

from cli.main import main
from evaluator.project import Line, Manifest
from evaluator.script import read_script
from retrieval import FootageLibrary, retrieve_lines


def test_demo_lines_get_hits_and_emotion_matched_prompts(demo_episode, tmp_path):
    lib_path = tmp_path / "lib"
    args = ["library", "build", str(demo_episode.video), "--subs", str(demo_episode.source_script)]
    res = CliRunner().invoke(main, [*args, "-o", str(lib_path), "-q"])
    assert res.exit_code == 0, res.output
    lib = FootageLibrary.open(lib_path)
    assert lib.info()["speakers"] == {"ANNA": 2, "BEN": 1}

    source = read_script(demo_episode.source_script)
    lines = [
        Line(index=cue.index, start=cue.start, end=cue.end, text=cue.text, source_text=src.text, speaker=cue.speaker)
        for cue, src in zip(read_script(demo_episode.script), source, strict=True)
    ]
    found = retrieve_lines(lib, lines, demo_episode.video, k=3, voice_prompts=True)
    for line, (hits, _) in zip(lines, found, strict=True):
        assert hits, line.index
        assert {h.modality for h in hits} == {"scene", "face", "text"}
        own = f"demo:{line.index}"
        assert own not in {h.id.split("@")[0] for h in hits}  # a line never retrieves its own span
        assert all(len(h.audio_vector) == 16 for h in hits)
    prompts = {line.index: prompt for line, (_, prompt) in zip(lines, found, strict=True)}
    # ANNA's lines 1 and 3 prompt each other; BEN has no other clip, so keeps the default reference
    assert prompts[1] is not None and prompts[1].clip_id.startswith("demo:3@")
    assert prompts[3] is not None and prompts[3].clip_id.startswith("demo:1@")
    assert prompts[2] is None
    # the hits and the prompt are the line record's typed conditions, stored as they are
    hits, prompt = found[0]
    first = dataclasses.replace(
        lines[0], conditions=dataclasses.replace(lines[0].conditions, hits=tuple(hits), voice_prompt=prompt)
    )
    manifest = Manifest(video=str(demo_episode.video), script=str(demo_episode.script), lang="en", lines=[first])
    assert Manifest.from_dict(manifest.to_dict()).lines[0] == first
