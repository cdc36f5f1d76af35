"""What the live API says in its own words, as (vi, en) pairs for ``contract.reasons.pick``."""

from __future__ import annotations

from contract.kinds import SensorKind

NO_STATE_YET = ("Chưa nhận được trạng thái", "No state reported yet")
NO_ANSWER = (
    "Nhà màng chưa trả lời (mất kết nối?) — lệnh hết hạn sau {expires_min} phút",
    "The greenhouse has not answered (offline?) — the command expires in {expires_min} min",
)
OFFLINE = ("Nhà màng mất kết nối từ {since}", "Greenhouse offline since {since}")
SILENT = ("Nhà màng im lặng từ {since}", "Greenhouse silent since {since}")
NEVER_HEARD = ("Chưa nhận được tin từ nhà màng", "Nothing heard from the greenhouse yet")
NO_ALERT = ("Không có cảnh báo {alert!r}", "No alert {alert!r}")
NO_ACTUATOR = ("Không có thiết bị {actuator!r}", "No actuator {actuator!r}")

# The verdict on a greenhouse (gateway/live/verdict.py): what a farmer reads under "Cần chú ý" / "Nguy hiểm".
# {value} is a number in the reader's locale with its unit, {at} and {since} a time of day ("3 giờ sáng").
COLD = ("Trời lạnh: {value} lúc {at}", "Cold: {value} at {at}")
COLD_DAMAGE = ("Rét hại: {value} lúc {at} — cây có thể bị hỏng", "Harmful cold: {value} at {at} — the crop may suffer")
HOT = ("Nóng: {value} lúc {at}", "Hot: {value} at {at}")
HOT_DAMAGE = ("Nóng hại: {value} lúc {at} — cây có thể bị hỏng", "Harmful heat: {value} at {at} — the crop may suffer")
DAMP = ("Không khí quá ẩm: {value} — dễ sinh nấm bệnh", "Air too damp: {value} — mould and blight spread")
DRY_AIR = ("Không khí quá khô: {value} — cây dễ héo", "Air too dry: {value} — plants may wilt")
# The VPD out of its band, with the humidity in its own: said with the two values a farmer has tiles for.
DAMP_FOR_TEMP = (
    "Không khí ẩm so với nhiệt độ: {value} ở {temp} — cây khó thoát hơi nước, dễ sinh nấm bệnh",
    "Air damp for its warmth: {value} at {temp} — the plants hardly transpire, mould spreads",
)
DRY_FOR_TEMP = (
    "Không khí khô so với nhiệt độ: {value} ở {temp} — cây mất nước nhanh",
    "Air dry for its warmth: {value} at {temp} — the plants lose water fast",
)
SOIL_DRY = ("Đất khô ở {zone}: {value}", "Dry soil in {zone}: {value}")
SOIL_WET = ("Đất quá ướt ở {zone}: {value}", "Soil too wet in {zone}: {value}")
TANK_LOW = ("Bể nước thấp: {value}", "Water tank low: {value}")
TANK_EMPTY = (
    "Bể nước sắp cạn: {value} — bơm không chạy khi dưới {limit}",
    "Water tank nearly empty: {value} — the pump cannot run below {limit}",
)
VALUE_LOW = ("{name} thấp: {value}", "{name} low: {value}")
VALUE_HIGH = ("{name} cao: {value}", "{name} high: {value}")
NO_NEW_READING = ("{name}: không có số liệu mới từ {since}", "{name}: no new reading since {since}")
NO_READING = ("{name}: chưa có số liệu", "{name}: no reading yet")
NOT_ANSWERING = ("{name} không trả lời — không điều khiển được", "{name} does not answer — it cannot be switched")
NO_CONTACT = ("Mất kết nối với nhà màng từ {since}", "No contact with the greenhouse since {since}")
# What the rules are doing about it, after the reason: "Trời lạnh: 9,0 °C lúc 3 giờ sáng — đang sưởi".
HEATING = ("đang sưởi", "heating")
VENTING = ("đang thông gió", "ventilating")
WATERING = ("đang tưới", "watering")
MISTING = ("đang phun sương", "misting")
# The kinds of value a farmer has a tile for, as the tile names them (js/strings.js "kind.*").
KIND_WORDS: dict[SensorKind, tuple[str, str]] = {
    SensorKind.AIR_TEMP_C: ("Nhiệt độ", "Temperature"),
    SensorKind.AIR_RH_PCT: ("Độ ẩm", "Humidity"),
    SensorKind.SOIL_VWC_PCT: ("Độ ẩm đất", "Soil water"),
    SensorKind.TANK_LEVEL_PCT: ("Bể nước", "Water tank"),
    SensorKind.SOIL_EC_US_CM: ("Độ dẫn điện đất (EC)", "Soil conductivity (EC)"),
    SensorKind.SOIL_PH: ("Độ pH đất", "Soil pH"),
    SensorKind.ILLUMINANCE_LUX: ("Ánh sáng", "Light"),
}


def time_of_day(hour: int, minute: int, lang: str) -> str:
    """As a farmer says it: "3 giờ sáng", "2 giờ 05 chiều" / "3 am", "2:05 pm"."""
    twelve = hour % 12 or 12
    if lang == "en":
        return f"{twelve}{f':{minute:02d}' if minute else ''} {'am' if hour < 12 else 'pm'}"
    part = next(word for until, word in _PARTS_OF_DAY_VI if hour < until)
    return f"{twelve} giờ{f' {minute:02d}' if minute else ''} {part}"


# Vietnamese names the part of the day (each until the hour given): "12 giờ đêm", "3 giờ sáng", "2 giờ chiều".
_PARTS_OF_DAY_VI = ((1, "đêm"), (11, "sáng"), (13, "trưa"), (18, "chiều"), (22, "tối"), (24, "đêm"))
