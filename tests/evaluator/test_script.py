from pathlib import Path

import pytest

from evaluator.errors import ScriptError
from evaluator.script import load_script, read_script, script_problems, split_speaker

SRT = """
1
00:00:01,000 --> 00:00:02,500
ANNA: Hello there.

2
00:00:02,000 --> 00:00:03,000
BEN: Hi!

3
00:00:03,200 --> 00:00:04,000
No speaker here.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text.strip() + "\n", encoding="utf-8")
    return p


def test_srt_speakers_from_prefix_and_default(tmp_path):
    cues = read_script(write(tmp_path, "a.srt", SRT))
    assert [(c.index, c.speaker, c.text) for c in cues] == [
        (1, "ANNA", "Hello there."),
        (2, "BEN", "Hi!"),
        (3, "default", "No speaker here."),
    ]
    assert cues[0].start == 1.0 and cues[0].end == 2.5
    # different speakers may overlap (cue 2 starts before cue 1 ends)
    assert script_problems(cues, video_duration=10) == []


def test_webvtt_and_ass_name_field(tmp_path):
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nCARLA: Buenas.\n"
    assert read_script(write(tmp_path, "a.vtt", vtt))[0].speaker == "CARLA"
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=1000, end=2500, name="Maria", text=r"{\i1}Hola{\i0} amigo\Nqué tal"))
    subs.save(str(tmp_path / "a.ass"))
    cue = read_script(tmp_path / "a.ass")[0]
    assert (cue.speaker, cue.text) == ("Maria", "Hola amigo qué tal")


def test_every_problem_is_reported_with_its_cue(tmp_path):
    bad = """
1
00:00:01,000 --> 00:00:03,000
ANNA: one

2
00:00:02,000 --> 00:00:04,000
ANNA: overlaps one

3
00:00:05,000 --> 00:00:04,000
ends before start

4
00:00:06,000 --> 00:00:07,000
<i></i>

5
00:00:08,000 --> 00:00:12,000
beyond the end
"""
    with pytest.raises(ScriptError) as err:
        load_script(write(tmp_path, "bad.srt", bad), video_duration=10.0)
    problems = err.value.problems
    assert any(p.startswith("cue 2: overlaps cue 1 of the same speaker (ANNA)") for p in problems)
    assert any(p.startswith("cue 3: ends (00:00:04.000) before it starts") for p in problems)
    assert "cue 4: empty text" in problems
    assert any(p.startswith("cue 5: ends at 00:00:12.000, beyond the video's end") for p in problems)
    assert "bad.srt" in str(err.value)


def test_undecodable_file(tmp_path):
    p = tmp_path / "latin1.srt"
    p.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nca\xf1a\n".encode("latin-1"))
    with pytest.raises(ScriptError, match="not UTF-8"):
        read_script(p)
    q = tmp_path / "junk.srt"
    q.write_bytes(b"\x00\x01\x02 definitely not subtitles")
    with pytest.raises(ScriptError):
        read_script(q)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("ANNA: Hi", ("ANNA", "Hi")),
        ("DR. SMITH: Sit down.", ("DR. SMITH", "Sit down.")),
        ("Note: lower case is text", (None, "Note: lower case is text")),
        ("Time is 10:30 now", (None, "Time is 10:30 now")),
    ],
)
def test_split_speaker(text, expected):
    assert split_speaker(text) == expected
