import pytest

from dubber.fitting import FitCaps, borrow_room, plan_fit
from evaluator.errors import ConfigError

CAPS = FitCaps(min_ratio=0.8, max_ratio=1.25, max_borrow=0.5)


def test_native_backend_hits_the_slot_within_caps():
    plan = plan_fit(raw_duration=2.2, slot=2.0, room=0.5, caps=CAPS)
    assert plan.duration == pytest.approx(2.0)
    assert plan.borrow == 0 and plan.overrun == 0


def test_short_line_is_slowed_at_most_to_the_cap():
    plan = plan_fit(raw_duration=1.0, slot=2.0, room=0.5, caps=CAPS)
    assert plan.ratio == pytest.approx(1.25)
    assert plan.error == pytest.approx(-0.75)


def test_long_line_borrows_then_overruns_never_truncated():
    plan = plan_fit(raw_duration=3.0, slot=2.0, room=0.3, caps=CAPS)
    assert plan.ratio == pytest.approx(0.8)  # fastest allowed pace
    assert plan.duration == pytest.approx(2.4)
    assert plan.borrow == pytest.approx(0.3)
    assert plan.overrun == pytest.approx(0.1)


def test_without_native_control_borrowing_comes_before_stretching():
    plan = plan_fit(raw_duration=2.3, slot=2.0, room=0.5, caps=CAPS, native=False)
    assert plan.ratio == pytest.approx(1.0) and plan.borrow == pytest.approx(0.3)
    plan = plan_fit(raw_duration=3.0, slot=2.0, room=0.5, caps=CAPS, native=False)
    assert plan.duration == pytest.approx(2.5) and plan.overrun == pytest.approx(0.0)


def test_borrow_room_stops_at_next_line_of_any_speaker_and_media_end():
    starts, ends = [0.0, 2.2, 1.0], [2.0, 3.0, 2.1]
    # line 0 ends at 2.0; line 2 starts before that (an overlap) so it does not limit; line 1 at 2.2 does
    assert borrow_room(starts, ends, 0, 0.5) == pytest.approx(0.2)
    assert borrow_room(starts, ends, 1, 0.5, media_end=3.1) == pytest.approx(0.1)


def test_invalid_caps_are_user_errors_naming_the_parameter():
    # the library names its own parameter; the CLI names its flag (tests/dubber/test_dub_cli.py)
    with pytest.raises(ConfigError, match="min_ratio <= 1") as err:
        FitCaps(min_ratio=1.2, max_ratio=1.25)
    assert err.value.param == "min_ratio"
    with pytest.raises(ConfigError, match="max_borrow must be >= 0") as err:
        FitCaps(max_borrow=-1)
    assert err.value.param == "max_borrow" and "--" not in str(err.value)
