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


NUMBERED = """
10
00:00:01,000 --> 00:00:02,000
ANNA: First.

11
00:00:02,500 --> 00:00:02,500
ANNA: Zero length.

12
00:00:04,000 --> 00:00:03,000
ANNA: Backwards.
"""


def test_problems_name_the_files_own_cue_numbers_and_zero_length(tmp_path):
    with pytest.raises(ScriptError) as err:
        load_script(write(tmp_path, "numbered.srt", NUMBERED))
    problems = err.value.problems
    assert problems[0] == "cue 11: has zero length (starts and ends at 00:00:02.500)"
    assert problems[1].startswith("cue 12: ends (00:00:03.000) before it starts")
    assert str(err.value).endswith("(fix these cues and run again)")
    cues = read_script(tmp_path / "numbered.srt")
    assert [(c.index, c.label, c.name) for c in cues] == [(1, "10", "10"), (2, "11", "11"), (3, "12", "12")]


def test_webvtt_identifiers_and_ass_rows_name_cues(tmp_path):
    vtt = "WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.000\nHello.\n\n00:00:03.000 --> 00:00:03.000\nBye.\n"
    with pytest.raises(ScriptError) as err:
        load_script(write(tmp_path, "a.vtt", vtt))
    assert [c.name for c in read_script(tmp_path / "a.vtt")] == ["intro", "2"]
    assert err.value.problems == ["cue 2: has zero length (starts and ends at 00:00:03.000)"]
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=0, end=1000, text="a note", type="Comment"))
    subs.append(pysubs2.SSAEvent(start=1000, end=2000, name="A", text="One."))
    subs.append(pysubs2.SSAEvent(start=1500, end=2500, name="A", text="Two."))
    subs.save(str(tmp_path / "a.ass"))
    with pytest.raises(ScriptError) as err:
        load_script(tmp_path / "a.ass")
    # ASS has no cue numbers: rows of the event list, the comment included (what Aegisub shows)
    assert err.value.problems == ["cue 3: overlaps cue 2 of the same speaker (A)"]
    assert [(c.index, c.name) for c in read_script(tmp_path / "a.ass")] == [(1, "2"), (2, "3")]


@pytest.mark.parametrize(
    "content,says",
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\x00\x01 definitely not subtitles", "not a subtitle file dubkit can read"),
        (b"WEBVTT\n\n", "no cues found"),
    ],
)
def test_whole_file_errors_say_what_is_wrong_without_the_cue_hint(tmp_path, content, says):
    p = tmp_path / "s.srt"
    p.write_bytes(content)
    with pytest.raises(ScriptError) as err:
        read_script(p)
    msg = str(err.value)
    assert says in msg and "fix these cues" not in msg and "Error" not in msg and "problem(s)" not in msg
    with pytest.raises(ScriptError, match="is a directory"):
        read_script(tmp_path)
