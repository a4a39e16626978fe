"""The API's settings refuse bad values at start-up, naming the variable."""

import pytest

from tests.hotline.test_settings import load_settings


@pytest.mark.parametrize("value", ["abc", "10", "0/minute", "5/fortnight"])
def test_a_malformed_rate_stops_start_up(value):
    result = load_settings(DEBUG="1", HOTLINE_API_RATE_PUBLIC_TIPS=value)
    assert result.returncode != 0
    assert "HOTLINE_API_RATE_PUBLIC_TIPS must look like 120/minute" in result.stderr


def test_a_well_formed_rate_is_taken():
    assert load_settings(DEBUG="1", HOTLINE_API_RATE_USER="30/second").returncode == 0
