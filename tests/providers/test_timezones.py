import pytest

from addin.providers.calendar.timezones import UnknownTimeZone, to_iana, to_windows, zone


@pytest.mark.parametrize(("windows", "iana"), [
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("GMT Standard Time", "Europe/London"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("UTC", "UTC"),
])
def test_windows_names_map_to_iana_and_back(windows: str, iana: str) -> None:
    assert to_iana(windows) == iana
    assert to_windows(iana) == windows
    assert zone(windows).key == iana


def test_iana_names_pass_through_and_nonsense_is_refused() -> None:
    assert to_iana("Europe/Paris") == "Europe/Paris"
    with pytest.raises(UnknownTimeZone):
        to_iana("Mars/Olympus_Mons")
    with pytest.raises(UnknownTimeZone):
        to_iana("")
