"""Why an actuator did or did not do something, as codes with Vietnamese and English text.

Messages carry the code and its parameters as machine values (ids, numbers); every user-facing surface renders
the text here, given the greenhouse and the reader's language, so the wording is the same on the phone, in the
terminal and in logs. ``contract.wording`` says how each parameter key is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from contract.wording import Lang, Words, pick

if TYPE_CHECKING:  # contract.site imports contract.messages, which imports this module
    from contract.site import Greenhouse

__all__ = ["Lang", "Reason", "pick", "render"]


class Reason(StrEnum):
    # command handling
    ACCEPTED = "accepted"
    MANUAL_RUN = "manual_run"
    CLIPPED_MAX_ON = "clipped_max_on"
    BAD_PAYLOAD = "bad_payload"
    WRONG_TARGET = "wrong_target"
    UNKNOWN_ACTUATOR = "unknown_actuator"
    EXPIRED = "expired"
    EXPIRY_TOO_FAR = "expiry_too_far"
    RETAINED_COMMAND = "retained_command"
    DUPLICATE_COMMAND = "duplicate_command"
    INVALID_DURATION = "invalid_duration"
    INVALID_POSITION = "invalid_position"
    # safety
    INTERLOCK_SENSOR = "interlock_sensor"
    INTERLOCK_SENSOR_UNKNOWN = "interlock_sensor_unknown"
    INTERLOCK_ACTUATOR = "interlock_actuator"
    MIN_OFF_TIME = "min_off_time"
    MAX_STARTS = "max_starts"
    MAX_ON_REACHED = "max_on_reached"
    FAIL_SAFE_START = "fail_safe_start"
    FAIL_SAFE_CONTACT = "fail_safe_contact"
    FAIL_SAFE_STOP = "fail_safe_stop"
    NODE_UNREACHABLE = "node_unreachable"
    NODE_ANSWERING = "node_answering"
    NODE_QUARANTINED = "node_quarantined"
    # outputs checked by reading them back
    OUTPUT_DID_NOT_SWITCH = "output_did_not_switch"
    OUTPUT_SWITCHED_ELSEWHERE = "output_switched_elsewhere"
    CURTAIN_STALLED = "curtain_stalled"
    # control
    OVERRIDE_ENDED = "override_ended"
    RULE_THRESHOLD = "rule_threshold"
    RULE_SCHEDULE = "rule_schedule"
    RULE_SCHEDULE_SKIPPED = "rule_schedule_skipped"
    RULE_SEQUENCE_STEP = "rule_sequence_step"
    RULE_SEQUENCE_BUSY = "rule_sequence_busy"
    RULE_RADIATION = "rule_radiation"
    RULE_RADIATION_MAX_INTERVAL = "rule_radiation_max_interval"
    RULE_RADIATION_TOO_SOON = "rule_radiation_too_soon"
    RULE_RADIATION_OUTSIDE_DAYLIGHT = "rule_radiation_outside_daylight"
    RULE_CLIMATE_HEATING = "rule_climate_heating"
    RULE_CLIMATE_VENTING = "rule_climate_venting"
    RULE_CLIMATE_RAIN_LIMIT = "rule_climate_rain_limit"
    RULE_CLIMATE_WIND_LIMIT = "rule_climate_wind_limit"
    RULE_CLIMATE_WEATHER_UNKNOWN = "rule_climate_weather_unknown"
    RULE_CLIMATE_FAN_STAGE = "rule_climate_fan_stage"
    RULE_CLIMATE_SHADE = "rule_climate_shade"
    RULE_CLIMATE_SHADE_OPEN = "rule_climate_shade_open"
    RULE_VPD_MISTING = "rule_vpd_misting"
    RULE_VPD_VENTING = "rule_vpd_venting"
    RULE_FROST_RISK = "rule_frost_risk"
    RULE_FROST_PROTECTING = "rule_frost_protecting"
    RULE_FROST_CLEARED = "rule_frost_cleared"
    RULE_FROST_HEATING = "rule_frost_heating"
    RULE_FROST_CLOSING = "rule_frost_closing"
    RULE_FROST_SCREEN = "rule_frost_screen"
    RULE_FROST_FOGGING = "rule_frost_fogging"
    RULE_FROST_WASH_OFF = "rule_frost_wash_off"
    RULE_FROST_WASH_WAITING = "rule_frost_wash_waiting"
    RULE_FROST_WASH_MISSED = "rule_frost_wash_missed"
    RULE_ALERT = "rule_alert"
    RULE_ALERT_REPEATED = "rule_alert_repeated"
    RULE_ALERT_CLEARED = "rule_alert_cleared"
    RULE_INPUT_UNUSABLE = "rule_input_unusable"
    RULE_INPUT_RESTORED = "rule_input_restored"
    RULE_FALLBACK = "rule_fallback"
    RUN_FINISHED = "run_finished"
    NO_ZONE_WATERING = "no_zone_watering"
    NOT_NEEDED = "not_needed"
    # local stores and numbering
    OUTBOX_DAMAGED = "outbox_damaged"
    OUTBOX_LOST = "outbox_lost"
    MEMORY_DAMAGED = "memory_damaged"
    TELEMETRY_RENUMBERED = "telemetry_renumbered"


_TEXT: dict[Reason, tuple[str, str]] = {
    Reason.ACCEPTED: ("Đã nhận lệnh của {by}", "Command from {by} accepted"),
    Reason.MANUAL_RUN: ("Điều khiển tay: {by}", "Manual control by {by}"),
    Reason.CLIPPED_MAX_ON: (
        "Đã nhận lệnh của {by}, nhưng chỉ chạy {duration_s} (giới hạn an toàn)",
        "Command from {by} accepted, but it runs only {duration_s} (safety limit)",
    ),
    # What was wrong stays in the parameters, for a technician's log: a farmer's phone never sends such a command.
    Reason.BAD_PAYLOAD: ("Lệnh không đọc được — không thực hiện", "The command could not be read — not carried out"),
    Reason.WRONG_TARGET: (
        "Lệnh gửi nhầm thiết bị — không thực hiện",
        "Command addressed to the wrong device — not carried out",
    ),
    Reason.UNKNOWN_ACTUATOR: (
        "Nhà màng này không có thiết bị '{actuator}'",
        "This greenhouse has no device '{actuator}'",
    ),
    Reason.EXPIRED: ("Lệnh đến khi đã hết hạn — hãy gửi lại", "The command arrived after it expired — send it again"),
    Reason.EXPIRY_TOO_FAR: (
        "Lệnh có hạn quá xa (tối đa {max_min} phút): không thực hiện",
        "Command valid for too long (at most {max_min} min): not carried out",
    ),
    Reason.RETAINED_COMMAND: (
        "Lệnh cũ được máy chủ lưu lại: không thực hiện, hãy gửi lại lệnh mới",
        "An old command kept by the broker: not carried out; send a new one",
    ),
    Reason.DUPLICATE_COMMAND: (
        "Lệnh này đã được thực hiện rồi: không làm lại",
        "This command was already carried out: not repeated",
    ),
    Reason.INVALID_DURATION: (
        "Cần cho biết chạy bao lâu, tối đa {max_h} giờ",
        "Say how long to run, at most {max_h} h",
    ),
    Reason.INVALID_POSITION: (
        "Cần cho biết mở bao nhiêu, từ 0 đến 100 % (chỉ cửa, rèm và lưới có vị trí)",
        "Say how far to open, from 0 to 100 % (only vents, curtains and screens have a position)",
    ),
    Reason.INTERLOCK_SENSOR: (
        "{sensor} đang {value}, {op} ngưỡng an toàn {limit} — không chạy được",
        "{sensor} is {value}, {op} its safe limit of {limit} — cannot run",
    ),
    Reason.INTERLOCK_SENSOR_UNKNOWN: (
        "Không có số liệu mới từ {sensor} — không chạy được",
        "No fresh reading from {sensor} — cannot run",
    ),
    Reason.INTERLOCK_ACTUATOR: (
        "Cần mở {actuators} trước",
        "Needs {actuators} running first",
    ),
    Reason.MIN_OFF_TIME: (
        "Vừa tắt, phải nghỉ thêm {wait_s} giây",
        "Just stopped; must rest {wait_s} s more",
    ),
    Reason.MAX_STARTS: (
        "Đã bật {starts} lần trong giờ qua (tối đa {max_starts})",
        "Started {starts} times in the last hour (max {max_starts})",
    ),
    Reason.MAX_ON_REACHED: (
        "Đã chạy tối đa {max_on_min} phút — tự tắt",
        "Ran for its maximum {max_on_min} min — stopped",
    ),
    Reason.FAIL_SAFE_START: ("Khởi động: về trạng thái an toàn", "Start-up: fail-safe state"),
    Reason.FAIL_SAFE_CONTACT: (
        "Mất liên lạc với {node} — về trạng thái an toàn",
        "Lost contact with {node} — fail-safe state",
    ),
    Reason.FAIL_SAFE_STOP: ("Dừng hệ thống: về trạng thái an toàn", "Shutting down: fail-safe state"),
    Reason.NODE_UNREACHABLE: (
        "Không liên lạc được với {node}",
        "Cannot reach {node}",
    ),
    Reason.NODE_ANSWERING: ("{node} đã trả lời trở lại", "{node} answers again"),
    Reason.NODE_QUARANTINED: (
        "{node} không trả lời — tạm bỏ qua để các thiết bị khác trên dây vẫn đọc đúng giờ",
        "{node} is not answering — set aside so that the other devices on its cable keep their pace",
    ),
    Reason.OUTPUT_DID_NOT_SWITCH: (
        "{actuator} không đổi theo lệnh (rơ-le không đóng/ngắt) — đã gửi lại lệnh",
        "{actuator} did not switch as commanded (the relay did not follow) — sent again",
    ),
    Reason.OUTPUT_SWITCHED_ELSEWHERE: (
        "{actuator} bị bật/tắt từ nơi khác (công tắc tay?) — đã đặt lại như bộ điều khiển",
        "{actuator} was switched by something else (a hand switch?) — put back as the controller had it",
    ),
    Reason.CURTAIN_STALLED: (
        "{actuator} bị kẹt: động cơ chạy mà không về tới đầu đóng — cần kiểm tra",
        "{actuator} is stuck: its motor ran but did not reach the closed end — needs checking",
    ),
    Reason.OVERRIDE_ENDED: ("Hết thời gian điều khiển tay", "Manual control ended"),
    Reason.RULE_THRESHOLD: (
        "{rule}: {metric} {value}, {op} {threshold} đã {for_min} phút",
        "{rule}: {metric} {value}, {op} {threshold} for {for_min} min",
    ),
    Reason.RULE_SCHEDULE: ("{rule}: theo lịch {at}", "{rule}: scheduled at {at}"),
    Reason.RULE_SCHEDULE_SKIPPED: (
        "{rule}: bỏ qua lịch {at} vì {metric} {value}, {op} {threshold}",
        "{rule}: skipped {at} because {metric} is {value}, {op} {threshold}",
    ),
    Reason.RULE_SEQUENCE_STEP: (
        "{rule}: bước {step}/{steps} của lượt tưới bắt đầu lúc {at}",
        "{rule}: step {step} of {steps} of the round started at {at}",
    ),
    Reason.RULE_SEQUENCE_BUSY: (
        "{rule}: bỏ qua lịch {at} vì lượt tưới bắt đầu lúc {started} chưa xong",
        "{rule}: skipped {at} because the round started at {started} is still running",
    ),
    Reason.RULE_RADIATION: (
        "{rule}: tổng bức xạ {sum_j_cm2} J/cm² đã đạt ngưỡng {threshold_j_cm2} J/cm²",
        "{rule}: radiation sum {sum_j_cm2} J/cm² reached {threshold_j_cm2} J/cm²",
    ),
    Reason.RULE_RADIATION_MAX_INTERVAL: (
        "{rule}: đã {interval_min} phút chưa tưới, quá thời gian chờ tối đa"
        " (tổng bức xạ {sum_j_cm2}/{threshold_j_cm2} J/cm²)",
        "{rule}: max interval reached, {interval_min} min without watering"
        " (radiation sum {sum_j_cm2} of {threshold_j_cm2} J/cm²)",
    ),
    Reason.RULE_RADIATION_TOO_SOON: (
        "{rule}: tổng bức xạ {sum_j_cm2} J/cm² đã đạt ngưỡng {threshold_j_cm2} J/cm²"
        " nhưng mới tưới {since_min} phút trước, chờ đến {at}",
        "{rule}: radiation sum {sum_j_cm2} J/cm² reached {threshold_j_cm2} J/cm²,"
        " but the last watering was only {since_min} min ago; waiting until {at}",
    ),
    Reason.RULE_RADIATION_OUTSIDE_DAYLIGHT: (
        "{rule}: tổng bức xạ {sum_j_cm2} J/cm² đã đạt ngưỡng {threshold_j_cm2} J/cm²"
        " ngoài giờ tưới ban ngày, chờ đến {at}",
        "{rule}: radiation sum {sum_j_cm2} J/cm² reached {threshold_j_cm2} J/cm²"
        " outside the daylight hours; waiting until {at}",
    ),
    Reason.RULE_CLIMATE_HEATING: (
        "{rule}: nhiệt độ {temp_c} °C dưới mức sưởi {setpoint_c} °C: bật sưởi",
        "{rule}: air {temp_c} °C below the heating setpoint {setpoint_c} °C: heating on",
    ),
    Reason.RULE_CLIMATE_VENTING: (
        "{rule}: nhiệt độ {temp_c} °C, mức thông gió {setpoint_c} °C: mở cửa {position_pct} %",
        "{rule}: air {temp_c} °C against the ventilation setpoint {setpoint_c} °C: vents to {position_pct} %",
    ),
    Reason.RULE_CLIMATE_RAIN_LIMIT: (
        "{rule}: có mưa (hiện {rain_mm_h} mm/h): cửa chỉ mở tối đa {position_pct} % đến {until}",
        "{rule}: rain (now {rain_mm_h} mm/h): vents open at most {position_pct} % until {until}",
    ),
    Reason.RULE_CLIMATE_WIND_LIMIT: (
        "{rule}: gió mạnh (hiện {wind_m_s} m/s): cửa chỉ mở tối đa {position_pct} % đến {until}",
        "{rule}: strong wind (now {wind_m_s} m/s): vents open at most {position_pct} % until {until}",
    ),
    Reason.RULE_CLIMATE_WEATHER_UNKNOWN: (
        "{rule}: không đọc được {metric}, để an toàn cửa chỉ mở tối đa {position_pct} %",
        "{rule}: {metric} cannot be read; to be safe, vents open at most {position_pct} %",
    ),
    Reason.RULE_CLIMATE_FAN_STAGE: (
        "{rule}: nhiệt độ {temp_c} °C trên {on_c} °C: bật quạt cấp {stage}",
        "{rule}: air {temp_c} °C above {on_c} °C: fan stage {stage} on",
    ),
    Reason.RULE_CLIMATE_SHADE: (
        "{rule}: nắng {solar_w_m2} W/m² trên {limit_w_m2} W/m²: kéo lưới che nắng",
        "{rule}: sun {solar_w_m2} W/m² above {limit_w_m2} W/m²: shade screen drawn",
    ),
    Reason.RULE_CLIMATE_SHADE_OPEN: (
        "{rule}: nắng {solar_w_m2} W/m² đã dưới {limit_w_m2} W/m²: thu lưới che nắng",
        "{rule}: sun {solar_w_m2} W/m² below {limit_w_m2} W/m² again: shade screen opened",
    ),
    Reason.RULE_VPD_MISTING: (
        "{rule}: không khí quá khô (độ khô VPD {vpd_kpa} kPa, trên {limit_kpa} kPa): phun sương {on_s} giây",
        "{rule}: air too dry (VPD, the air's drying power, {vpd_kpa} kPa, above {limit_kpa} kPa): misting for {on_s} s",
    ),
    Reason.RULE_VPD_VENTING: (
        "{rule}: không khí quá ẩm (độ khô VPD {vpd_kpa} kPa, dưới {limit_kpa} kPa):"
        " mở cửa {position_pct} % cho thoát ẩm",
        "{rule}: air too humid (VPD {vpd_kpa} kPa, below {limit_kpa} kPa): vents to {position_pct} % to let it out",
    ),
    # Alerts say what is happening; the rule that saw it is on the event, not in the farmer's sentence.
    Reason.RULE_FROST_RISK: (
        "Nguy cơ sương muối: {value} °C, dưới {limit} °C",
        "Frost risk: {value} °C, below {limit} °C",
    ),
    Reason.RULE_FROST_PROTECTING: (
        "Sương muối: {value} °C, dưới {limit} °C — đang chống rét",
        "Frost: {value} °C, below {limit} °C — protection on",
    ),
    Reason.RULE_FROST_CLEARED: ("Hết nguy cơ sương muối ({value} °C)", "Frost risk over ({value} °C)"),
    Reason.RULE_FROST_HEATING: (
        "{rule}: chống sương muối ({value} °C dưới {limit} °C): bật sưởi",
        "{rule}: frost protection ({value} °C below {limit} °C): heating on",
    ),
    Reason.RULE_FROST_CLOSING: (
        "{rule}: chống sương muối ({value} °C dưới {limit} °C): đóng cửa và rèm",
        "{rule}: frost protection ({value} °C below {limit} °C): vents and curtains shut",
    ),
    Reason.RULE_FROST_SCREEN: (
        "{rule}: chống sương muối ({value} °C dưới {limit} °C): kéo lưới giữ nhiệt",
        "{rule}: frost protection ({value} °C below {limit} °C): screen drawn to keep the warmth in",
    ),
    Reason.RULE_FROST_FOGGING: (
        "{rule}: chống sương muối ({value} °C dưới {limit} °C): phun sương",
        "{rule}: frost protection ({value} °C below {limit} °C): fogging",
    ),
    Reason.RULE_FROST_WASH_OFF: (
        "{rule}: tưới phá sương lúc {at} sau đêm sương muối (thấp nhất {min_c} °C)",
        "{rule}: frost wash-off at {at} after a frost night (lowest {min_c} °C)",
    ),
    Reason.RULE_FROST_WASH_WAITING: (
        "{rule}: chờ tưới phá sương ({at}): không khí {temp_c} °C, cần từ {min_temp_c} °C",
        "{rule}: frost wash-off ({at}) waits: air {temp_c} °C, needs {min_temp_c} °C",
    ),
    Reason.RULE_FROST_WASH_MISSED: (
        "{rule}: bỏ tưới phá sương ({at}): không khí vẫn {temp_c} °C, dưới {min_temp_c} °C",
        "{rule}: frost wash-off ({at}) dropped: air still {temp_c} °C, below {min_temp_c} °C",
    ),
    Reason.RULE_ALERT: (
        "{metric} {value} — {op} {threshold}, từ {since}",
        "{metric} {value} — {op} {threshold}, since {since}",
    ),
    Reason.RULE_ALERT_REPEATED: (
        "Vẫn còn: {metric} {value} — {op} {threshold}, từ {since}",
        "Still so: {metric} {value} — {op} {threshold}, since {since}",
    ),
    Reason.RULE_ALERT_CLEARED: ("Đã hết: {metric} {value}", "Over: {metric} back to {value}"),
    Reason.RULE_INPUT_UNUSABLE: (
        "{rule}: chưa dùng được số liệu của {unusable}",
        "{rule}: cannot use the reading of {unusable}",
    ),
    Reason.RULE_INPUT_RESTORED: ("{rule}: số liệu đã dùng được trở lại", "{rule}: inputs usable again"),
    Reason.RULE_FALLBACK: (
        "{rule}: chạy theo giờ dự phòng vì thiếu số liệu cảm biến",
        "{rule}: fallback timer, sensor inputs unusable",
    ),
    Reason.RUN_FINISHED: ("Đã chạy đủ thời gian", "Run finished"),
    Reason.NO_ZONE_WATERING: ("Không còn khu nào đang tưới — tắt bơm", "No zone is being watered — pump off"),
    # At rest because no rule asks for it: after the start, and when a rule stops holding it (heat, a vent).
    Reason.NOT_NEEDED: ("Chưa cần lúc này", "Not needed now"),
    Reason.OUTBOX_DAMAGED: (
        "Tệp dữ liệu chờ gửi của bộ điều khiển bị hỏng: đã cứu được {saved} bản ghi, phần còn lại có thể đã mất",
        "The controller's file of data waiting to be sent was damaged: {saved} records were saved,"
        " the rest may be lost",
    ),
    Reason.OUTBOX_LOST: (
        "Tệp dữ liệu chờ gửi của bộ điều khiển đã mất hoặc bị thay: số liệu chưa gửi có thể đã mất",
        "The controller's file of data waiting to be sent was lost or replaced: data not yet sent may be lost",
    ),
    Reason.MEMORY_DAMAGED: (
        "Tệp ghi nhớ hẹn giờ của bộ điều khiển bị hỏng (đọc lại được {saved} bản ghi): để an toàn, bộ điều khiển"
        " khởi động từ trạng thái an toàn, các lượt đang chạy đã dừng",
        "The controller's memory of its timers was damaged ({saved} records could be read back): to be safe it"
        " started from its safe state, and runs under way were stopped",
    ),
    Reason.TELEMETRY_RENUMBERED: (
        "Bộ điều khiển bắt đầu đánh số lại số liệu từ {at}: số liệu chưa gửi có thể đã mất, hoặc bộ điều khiển"
        " đã được thay. Hãy báo kỹ thuật viên.",
        "The controller started numbering its data again at {at}: data not yet sent may be lost, or the"
        " controller was replaced. Tell your technician.",
    ),
}


# Who did something, for an event written before commands carried it.
_UNNAMED = ("không rõ", "unknown")


def render(
    reason: Reason, params: Mapping[str, str] | None = None, lang: Lang = "vi", site: Greenhouse | None = None
) -> str:
    """The reason as a sentence in ``lang``: ids named as ``site`` names them (ids themselves without a site),
    numbers in the reader's locale; a missing parameter shows as its name rather than failing."""
    words = Words(params or {}, lang, site)
    text = pick(_TEXT[reason], lang).format_map(_Resolving(words, lang))
    # A sentence may open with a name put in words ("the controller of …"); an id, without a site, stays as it is.
    return text[:1].upper() + text[1:] if site is not None else text


class _Resolving(dict[str, str]):
    def __init__(self, words: Words, lang: Lang) -> None:
        super().__init__()
        self._words = words
        self._lang = lang

    def __missing__(self, key: str) -> str:
        said = self._words(key)
        if said is not None:
            return said
        return pick(_UNNAMED, self._lang) if key == "by" else "{" + key + "}"
