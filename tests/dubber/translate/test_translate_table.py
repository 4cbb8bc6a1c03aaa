"""``dubkit translate --backend table`` (the offline default) end to end, and the pieces every backend
shares: the glossary, the attributes file, the speaking-rate table, syllable counts and the budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from dubber.translate import Glossary, SourceLine, TranslationJob, create_translator, published_rate, translate_lines
from dubber.translate.budget import default_min_ratio
from dubber.translate.glossary import contains_term
from dubber.translate.languages import language
from dubber.translate.script_lines import read_attributes, with_attributes
from dubber.translate.speech_rate import measure_rate
from dubber.translate.syllables import count_syllables
from evaluator.errors import ConfigError
from evaluator.script import Cue, read_script, write_script

SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nPREMA: Raj, where were you?\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\nRAJ: At the market, Prema ji.\n\n"
    "3\n00:00:04,500 --> 00:00:06,000\nPREMA: You bought me a gift!\n"
)
TABLE = 'id,text\n1,"राज, तुम कहाँ थे?"\n2,"बाज़ार में, प्रेमा जी।"\n3,"तुम मेरे लिए तोहफ़ा लाए!"\n'


def files(tmp_path: Path, table: str = TABLE) -> tuple[Path, Path]:
    src, csv = tmp_path / "ep.en.srt", tmp_path / "ep.hi.csv"
    src.write_text(SRT, encoding="utf-8")
    csv.write_text(table, encoding="utf-8")
    return src, csv


def run(*args: str):  # noqa: ANN202
    return CliRunner().invoke(main, ["translate", *args])


def test_table_writes_target_with_source_timings_speakers_and_sidecar(tmp_path: Path) -> None:
    src, csv = files(tmp_path, TABLE + "9,unused row\n")
    glossary = tmp_path / "names.csv"
    glossary.write_text("source,target\nPrema ji,प्रेमा जी\nRaj,\n", encoding="utf-8")
    res = run(str(src), "--to", "hi", "--table", str(csv), "--glossary", str(glossary), "--json")
    assert res.exit_code == 0, res.output
    target = tmp_path / "ep.hi.srt"
    cues = read_script(target)
    assert [(c.start, c.end, c.speaker) for c in cues] == [(1.0, 2.5, "PREMA"), (3.0, 4.0, "RAJ"), (4.5, 6.0, "PREMA")]
    assert cues[1].text == "बाज़ार में, प्रेमा जी।"
    assert "9" in res.stderr and "not used" in res.stderr  # the extra row is a warning
    # "Raj" is kept as is by the glossary, but the table transliterated it: reported for line 1 only
    assert "line 1: glossary term(s) 'Raj' missing" in res.stderr and "line 2" not in res.stderr
    record = json.loads((tmp_path / "ep.hi.srt.translation.json").read_text(encoding="utf-8"))
    assert record["backend"] == "table" and record["model"].startswith("table:ep.hi.csv#sha256:")
    assert record["summary"]["glossary_lost"] == 1
    assert record["lines"][1]["glossary"] == {"terms": ["प्रेमा जी"], "lost": []}
    assert record["lines"][0]["glossary"] == {"terms": ["Raj"], "lost": ["Raj"]}
    assert "length" not in record["lines"][0]  # Hindi has no published rate and none was given
    assert json.loads(res.stdout)["summary"]["lines"] == 3


def test_missing_ids_are_listed_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    src, csv = files(tmp_path, 'id,text\n2,"बाज़ार में"\n')
    res = run(str(src), "--to", "hi", "--table", str(csv), "-o", str(tmp_path / "out.srt"))
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines()[-1] == (
        f"dubkit: error: {csv}: no translation for 2 of 3 line(s): ids 1, 3 (add an id,text row for each)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.en.srt", "ep.hi.csv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "xx"], "--to 'xx' is not a language"),
        (["--to", "hi"], "the table backend needs --table"),
        (["--to", "hi", "--backend", "vllm"], "the vllm backend needs --url and --model"),
        (["--to", "hi", "--backend", "transformers"], "needs --model DIR"),
        (["--to", "hi", "--backend", "nmt"], "unknown translator 'nmt'"),
        (["--to", "en", "-o", "{src}"], "would overwrite the source"),
    ],
)
def test_bad_options_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    src, _ = files(tmp_path)
    res = run(str(src), *[a.replace("{src}", str(src)) for a in args])
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output


def test_ass_speakers_need_an_ass_target(tmp_path: Path) -> None:
    src = tmp_path / "ep.ass"
    write_script(src, [Cue(1, 1.0, 2.0, "Hello Raj", "Prema")])  # mixed case: only an ASS Name field holds it
    csv = tmp_path / "t.csv"
    csv.write_text("id,text\n1,नमस्ते राज\n", encoding="utf-8")
    res = run(str(src), "--to", "hi", "--table", str(csv), "-o", str(tmp_path / "ep.hi.srt"))
    assert res.exit_code == 2 and "Prema cannot be kept" in res.stderr
    res = run(str(src), "--to", "hi", "--table", str(csv))
    assert res.exit_code == 0, res.output
    assert read_script(tmp_path / "ep.hi.ass")[0].speaker == "Prema"


def test_glossary_matches_whole_words_and_rejects_bad_files(tmp_path: Path) -> None:
    assert contains_term("Raj, wait!", "raj") and not contains_term("Rajesh is here", "Raj")
    assert contains_term("प्रेमा जी, रुको", "प्रेमा जी") and not contains_term("प्रेमाजी", "प्रेमा")
    bad = tmp_path / "g.csv"
    bad.write_text("term,translation\nRaj,Raj\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="header source,target"):
        Glossary.load(bad)
    bad.write_text("source,target\nRaj,राज\nraj,Raj\n,x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 3: 'raj' is listed twice.*line 4: empty source term"):
        Glossary.load(bad)


def test_attributes_from_csv_and_from_scene_readings(tmp_path: Path) -> None:
    lines = [SourceLine("1", "Hi", 0, 1, speaker="RAJ"), SourceLine("2", "Yes", 1, 2)]
    csv = tmp_path / "a.csv"
    csv.write_text("id,speaker,gender,age,emotion\n1,X,male,adult,anger\n2,PREMA,female,,joy\n", encoding="utf-8")
    got = with_attributes(lines, read_attributes(csv))
    assert (got[0].speaker, got[0].gender, got[0].emotion) == ("RAJ", "male", "anger")  # the script's speaker wins
    assert (got[1].speaker, got[1].gender, got[1].age, got[1].emotion) == ("PREMA", "female", None, "joy")
    readings = tmp_path / "r.json"
    readings.write_text(
        json.dumps(
            {
                "readings": [
                    {"cue_index": 1, "gender": "male", "age": "young", "emotion": "fear"},
                    {"cue_index": 2, "gender": "male", "age": "adult", "emotion": "neutral", "error": "timeout"},
                ]
            }
        ),
        encoding="utf-8",
    )
    got = with_attributes(lines, read_attributes(readings))
    assert (got[0].age, got[0].emotion) == ("young", "fear") and got[1].emotion is None  # failed reading skipped


def test_syllables_rates_and_budget() -> None:
    assert count_syllables("The quick brown fox jumps over the lazy dog", "en") == 11
    assert count_syllables("make a table", "en") == 4
    assert count_syllables("नमस्ते दुनिया", "hi") == 6  # na-mas-te du-ni-yaa
    assert count_syllables("कमल", "hi") == 2  # final schwa deleted: ka-mal
    assert count_syllables("你好世界", "zh") == 4
    assert count_syllables("مرحبا", "ar") is None  # vowels not written: no estimate
    assert published_rate("es").syllables_per_second == 7.82 and published_rate("hi") is None
    assert measure_rate(["uno dos tres"], [0.5], "es").syllables_per_second == 8.0
    assert language("hin_Deva").code == "hi" and language("pt-BR").code == "pt"
    job = TranslationJob(target_lang="en")
    assert job.min_ratio == default_min_ratio() == 0.8  # read from dubber.fitting.FitCaps
    b = job.budget_for(SourceLine("1", "x", 0.0, 2.0))
    assert b.rate.syllables_per_second == 6.19 and b.max_seconds == 2.5 and b.max_syllables == 15
    assert job.budget_for(SourceLine("1", "x")) is None  # no slot, no budget (a corpus line without times)


def test_translate_lines_keeps_order_and_table_ids_for_a_corpus(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("id,text\ndia1_utt0,Hola\ndia2_utt3,Adiós\n", encoding="utf-8")
    t = create_translator("table", path=csv)
    lines = [SourceLine("dia2_utt3", "Bye"), SourceLine("dia1_utt0", "Hello")]
    out = translate_lines(lines, t, TranslationJob(target_lang="es"))
    assert [(r.id, r.target) for r in out] == [("dia2_utt3", "Adiós"), ("dia1_utt0", "Hola")]
