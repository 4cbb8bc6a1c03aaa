"""Each metric on real speech: identity cases, the right direction under impairments, and peer cross-checks."""

from __future__ import annotations

import jiwer
import numpy as np
import pytest
from metric_helpers import OTHER_SENTENCE, SENTENCE, SR, item, value

from evaluator import impairments as imp
from evaluator.metrics.text import normalize_text


@pytest.fixture(scope="module")
def transcript_scores(families, speech):
    fam = families["transcript"]
    right = fam.score(item(speech, text=SENTENCE), ["wer", "cer", "semantic_sim"])
    wrong_text = imp.wrong_text(SENTENCE, [SENTENCE, OTHER_SENTENCE])
    wrong = fam.score(item(speech, text=wrong_text), ["wer", "cer", "semantic_sim"])
    return right, wrong, wrong_text


def test_wer_identity_and_wrong_text(transcript_scores):
    right, wrong, _ = transcript_scores
    assert right["wer"].value <= 0.15  # pocketsphinx gets piper's sentence (almost) right
    assert right["cer"].value <= right["wer"].value + 1e-9
    assert wrong["wer"].value > 0.6 and wrong["wer"].value > right["wer"].value + 0.4
    assert wrong["semantic_sim"].value < right["semantic_sim"].value - 0.4
    assert right["semantic_sim"].value > 0.8
    assert right["wer"].backend == "pocketsphinx" and right["wer"].sample_rate == 16000
    assert "MiniLM" in right["semantic_sim"].model_id


def test_wer_matches_jiwer_directly(transcript_scores):
    right, wrong, wrong_text = transcript_scores
    for scores, ref in ((right, SENTENCE), (wrong, wrong_text)):
        hyp = scores["wer"].details["transcript"]
        assert scores["wer"].value == pytest.approx(jiwer.wer(normalize_text(ref), normalize_text(hyp)))
        assert scores["cer"].value == pytest.approx(jiwer.cer(normalize_text(ref), normalize_text(hyp)))


def test_text_normalisation_handles_case_punctuation_numbers():
    assert normalize_text("Call me at 42, OK?") == "call me at forty two ok"
    assert normalize_text("Well-known") == normalize_text("well known")


def test_spk_sim_identity_and_other_voice(families, speech, other_speech, espeak_speech):
    other_voice, other_sr = espeak_speech
    same = value(families, "spk_sim", item(speech, voice=speech))
    same_voice_other_words = value(families, "spk_sim", item(speech, voice=other_speech))
    from evaluator.media import resample

    swapped = imp.other_speaker(speech, resample(other_voice, other_sr, SR))
    different = value(families, "spk_sim", item(swapped, voice=other_speech))
    assert same == pytest.approx(1.0, abs=1e-3)
    assert same_voice_other_words > 0.8
    assert different < same_voice_other_words - 0.2


def test_emo_sim_identity_and_silence_is_skipped_or_lower(families, speech, espeak_speech):
    other, other_sr = espeak_speech
    from evaluator.media import resample

    assert value(families, "emo_sim", item(speech, voice=speech)) == pytest.approx(1.0, abs=1e-5)
    clipped = imp.clip_audio(speech, ceiling=0.02, gain=1.0)
    other_voice = value(families, "emo_sim", item(speech, voice=resample(other, other_sr, SR)))
    assert value(families, "emo_sim", item(speech, voice=clipped)) < 0.999
    assert other_voice < 0.999


def test_mcd_identity_stretch_and_pymcd_cross_check(families, speech, tmp_path):
    from pymcd.mcd import Calculate_MCD

    from evaluator.media import write_wav

    fam = families["cepstral"]
    names = ["mcd", "mcd_sl", "log_f0_rmse"]
    self_scores = fam.score(item(speech, reference=speech), names)
    assert self_scores["mcd"].value == pytest.approx(0.0, abs=1e-9)
    assert self_scores["mcd_sl"].value == pytest.approx(0.0, abs=1e-9)
    assert self_scores["log_f0_rmse"].value == pytest.approx(0.0, abs=1e-9)

    slight = imp.time_stretch(speech, SR, 1.1)
    extreme = imp.time_stretch(speech, SR, 1.6)
    s_slight = fam.score(item(slight, reference=speech), names)
    s_extreme = fam.score(item(extreme, reference=speech), names)
    assert s_extreme["mcd_sl"].value > s_slight["mcd_sl"].value + 1.0
    assert s_extreme["mcd_sl"].value > s_extreme["mcd"].value * 1.4

    write_wav(tmp_path / "ref.wav", speech, SR)
    write_wav(tmp_path / "syn.wav", extreme, SR)
    from evaluator.media import read_wav

    ref16, _ = read_wav(tmp_path / "ref.wav")
    syn16, _ = read_wav(tmp_path / "syn.wav")
    ours = fam.score(item(syn16, reference=ref16), ["mcd", "mcd_sl"])
    assert ours["mcd"].value == pytest.approx(
        Calculate_MCD("dtw").calculate_mcd(str(tmp_path / "ref.wav"), str(tmp_path / "syn.wav")), rel=1e-3
    )
    assert ours["mcd_sl"].value == pytest.approx(
        Calculate_MCD("dtw_sl").calculate_mcd(str(tmp_path / "ref.wav"), str(tmp_path / "syn.wav")), rel=1e-3
    )


def test_log_f0_rmse_grows_with_pitch_shift(families, speech):
    import librosa

    shifted = librosa.effects.pitch_shift(speech, sr=SR, n_steps=4)
    fam = families["cepstral"]
    rmse = fam.score(item(shifted, reference=speech), ["log_f0_rmse"])["log_f0_rmse"].value
    assert rmse == pytest.approx(4 / 12 * np.log(2), abs=0.12)  # four semitones in natural-log Hz


def test_dnsmos_noise_lowers_and_matches_speechmos(families, speech):
    import speechmos.dnsmos

    from evaluator.media import resample

    fam = families["dnsmos"]
    names = ["dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808"]
    speech = 0.5 * speech  # speechmos rejects samples beyond +/-1 (resampling overshoots a little)
    clean = fam.score(item(speech), names)
    noisy = fam.score(item(imp.add_noise(speech, snr_db=5.0)), names)
    assert noisy["dnsmos_ovrl"].value < clean["dnsmos_ovrl"].value - 0.5
    assert noisy["dnsmos_bak"].value < clean["dnsmos_bak"].value - 0.5
    assert noisy["dnsmos_p808"].value < clean["dnsmos_p808"].value
    direct = speechmos.dnsmos.run(resample(speech, SR, 16000), 16000)
    for ours, theirs in (("dnsmos_sig", "sig_mos"), ("dnsmos_bak", "bak_mos"), ("dnsmos_ovrl", "ovrl_mos")):
        assert clean[ours].value == pytest.approx(float(direct[theirs]), abs=1e-5)
    assert clean["dnsmos_p808"].value == pytest.approx(float(direct["p808_mos"]), abs=1e-5)


def test_silence_and_short_clips_are_skipped_not_crashing(families):
    short = np.zeros(int(0.05 * SR), dtype=np.float32)
    res = families["dnsmos"].score(item(short), ["dnsmos_ovrl"])["dnsmos_ovrl"]
    assert res.value is None and "shorter" in res.skipped
    res = families["cepstral"].score(item(imp.silence(np.ones(SR)), reference=np.zeros(SR)), ["log_f0_rmse"])
    assert res["log_f0_rmse"].value is None and "voiced" in res["log_f0_rmse"].skipped
