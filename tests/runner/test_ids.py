"""Wire timestamps: one format everywhere, whatever the datetime's zone."""

from datetime import datetime, timedelta, timezone

from conveyor_runner.ids import now_iso, parse_iso, to_iso


def test_a_timestamp_is_utc_with_milliseconds_and_a_z():
    moment = datetime(2026, 11, 29, 18, 5, 7, 123456, tzinfo=timezone.utc)
    assert to_iso(moment) == "2026-11-29T18:05:07.123Z"


def test_whole_seconds_still_carry_milliseconds():
    assert to_iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.000Z"


def test_another_zone_is_converted_to_utc():
    eastern = timezone(timedelta(hours=-5))
    assert to_iso(datetime(2026, 11, 29, 23, 30, tzinfo=eastern)) == "2026-11-30T04:30:00.000Z"


def test_now_round_trips_through_parse_to_the_millisecond():
    stamp = now_iso()
    assert len(stamp) == len("2026-11-29T18:05:07.123Z") and stamp.endswith("Z")
    assert to_iso(parse_iso(stamp)) == stamp
