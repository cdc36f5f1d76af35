"""A drafted entry in the one line a farmer reads before confirming it: the day as the reader writes it (14/01,
14 Jan), the zone and devices by their names, the numbers in the reader's locale."""

from __future__ import annotations

from datetime import date

from contract.diary import ClimateDay, FrostNight, Irrigation, NewEntry, ProtectionRun, Source
from contract.site_file import load_site
from gateway.diary.draft_words import draft_said
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
HOUSE = SITE.greenhouse("ca-chua-1")
VALVE = next(iter(HOUSE.actuators))


def said(detail: Irrigation | FrostNight | ClimateDay, zone: str | None = None) -> tuple[str, str]:
    entry = NewEntry(id="draft-0001", day=date(2026, 1, 14), greenhouse=HOUSE.id, zone=zone, detail=detail,
                     source=Source.SENSOR)  # fmt: skip
    return draft_said(entry, HOUSE, "vi"), draft_said(entry, HOUSE, "en")


def test_a_watering_says_its_day_zone_and_litres_in_each_readers_words() -> None:
    vi, en = said(Irrigation(water_l=1240, runs=6, open_min=42), zone="khu-a")
    assert vi == "14/01 · Khu A: tưới 1.240 lít (6 lần, 42 phút)"
    assert en == "14 Jan · Zone A: 1,240 litres watered (6 times, 42 min)"
    _, once = said(Irrigation(water_l=300, runs=1, open_min=12), zone="khu-a")
    assert once == "14 Jan · Zone A: 300 litres watered (once, 12 min)"
    vi, unmeasured = said(Irrigation(water_l=None, runs=2, open_min=20), zone="khu-a")
    assert (vi, unmeasured) == ("14/01 · Khu A: tưới 2 lần, 20 phút", "14 Jan · Zone A: watered 2 times, 20 min")


def test_a_frost_night_names_what_ran_and_a_device_gone_from_the_site_by_its_id() -> None:
    runs = [ProtectionRun(actuator=VALVE, on_min=90), ProtectionRun(actuator="gone", on_min=5)]
    vi, en = said(FrostNight(min_air_temp_c=1.25, hours_below=3.5, watch_temp_c=4, protection=runs))
    valve = HOUSE.actuators[VALVE]
    assert vi == (
        "14/01 · Đêm rét: thấp nhất 1,2 °C, 3,5 giờ ở mức 4,0 °C trở xuống; "
        f"{valve.label_in('vi')} chạy 1 giờ 30 phút; gone chạy 5 phút"
    )
    assert en == (
        f"14 Jan · Frost night: lowest 1.2 °C, 3.5 h at 4.0 °C or below; {valve.label_in('en')} ran 1 h 30 min; "
        "gone ran 5 min"
    )


def test_a_climate_day_in_each_readers_numbers() -> None:
    vi, en = said(ClimateDay(min_air_temp_c=-1.04, max_air_temp_c=30, mean_vpd_kpa=0.86, dli_mol_m2_d=12.25))
    assert vi == "14/01 · Trong nhà: -1,0 – 30,0 °C, độ thiếu hụt hơi nước trung bình 0,86 kPa, ánh sáng 12,2 mol/m²"
    assert en == "14 Jan · Inside: -1.0 – 30.0 °C, mean VPD 0.86 kPa, light 12.2 mol/m²"
