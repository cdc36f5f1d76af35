"""What the commissioning commands tell the technician, in Vietnamese and English (``contract.reasons.pick``)."""

from __future__ import annotations

# -- scan ------------------------------------------------------------------------------------------------------
SCANNING = ("Quét {setting}: địa chỉ {address} ({n}/{total})", "Scanning {setting}: address {address} ({n}/{total})")
SETTING_SILENT = (
    "{setting}: không thiết bị nào trả lời. Kiểm tra tốc độ baud, parity, và dây A/B (thử đảo A và B).",
    "{setting}: no device answered. Check the baud rate, the parity, and the A/B wiring (try swapping A and B).",
)
SETTING_CRC = (
    "{setting}: có {n} khung trả lời bị lỗi CRC (địa chỉ {addresses}): sai tốc độ baud hoặc parity.",
    "{setting}: {n} answers came with a bad CRC (addresses {addresses}): wrong baud rate or parity.",
)
FOUND_NONE = ("Không tìm thấy thiết bị nào.", "No device found.")
FOUND_HEADER = (
    "# Tìm thấy {n} thiết bị trên bus {bus} ({setting}). Chép các dòng sau vào 'nodes:' của nhà màng:",
    "# Found {n} device(s) on bus {bus} ({setting}). Paste these lines under the greenhouse's 'nodes:':",
)
BUS_SETTING = (
    "# Đặt bus {bus} là: baud {baud}, parity {parity}, stop_bits {stop_bits}",
    "# Set bus {bus} to: baud {baud}, parity {parity}, stop_bits {stop_bits}",
)
ANSWERS_UNKNOWN = (
    "# địa chỉ {address}: có trả lời nhưng không khớp hồ sơ nào ({why}). Cần viết hồ sơ thiết bị mới.",
    "# address {address}: it answers, but no profile matches ({why}). A new device profile is needed.",
)
AMBIGUOUS = (
    "# địa chỉ {address}: nhiều hồ sơ khớp; chọn {best} (nhiều điểm đọc nhất, giá trị hợp lý). Cũng khớp: {others}."
    " Kiểm tra nhãn thiết bị.",
    "# address {address}: several profiles match; {best} chosen (most points read, plausible values). Also matches:"
    " {others}. Check the device's label.",
)
IMPLAUSIBLE = ("giá trị khó tin: {points}", "implausible values: {points}")
ALSO_READS_AS = ("  # cũng đọc được như {profile} {why}", "  # also reads as {profile} {why}")
FOUND_AT = ("{setting}: {n} thiết bị trả lời.", "{setting}: {n} device(s) answered.")
SERIAL_DIFFERS = ("thiết bị xuất xưởng ở {setting}", "ships at {setting}")

# -- read ------------------------------------------------------------------------------------------------------
READ_RAW = ("thô ({table} {address}): {raw}", "raw ({table} {address}): {raw}")
READ_DECODED = ("giải mã: {value} {unit}", "decoded: {value} {unit}")
READ_CALIBRATED = ("sau hiệu chỉnh: {value} {unit}", "calibrated: {value} {unit}")
READ_NO_CALIBRATION = ("(không có hiệu chỉnh ngoài tệp cấu hình)", "(no calibration outside a site file)")
READ_OUT_OF_RANGE = (
    "NGOÀI dải {min} … {max} {unit}: cảm biến hỏng hoặc sai hồ sơ/hệ số.",
    "OUTSIDE the range {min} … {max} {unit}: a broken probe, or the wrong profile or scale.",
)
READ_NOT_A_VALUE = ("các thanh ghi không chứa giá trị: {error}", "the registers hold no value: {error}")
NO_ANSWER = ("Địa chỉ {address} không trả lời: {detail}", "Address {address} did not answer: {detail}")

# -- write -----------------------------------------------------------------------------------------------------
PULSE_ON = ("Bật {actuator} ({where}) trong {seconds} giây…", "Switching {actuator} ({where}) on for {seconds} s…")
PULSE_OFF = ("Tắt {actuator}.", "Switched {actuator} off.")
FOLLOWED = ("đọc lại: rơ-le đã {state} (đúng lệnh).", "read back: the relay is {state}, as commanded.")
NOT_FOLLOWED = (
    "đọc lại: rơ-le vẫn {state}: thiết bị nhận lệnh nhưng không làm theo (sai địa chỉ/đầu ra, hoặc mất nguồn rơ-le).",
    "read back: the relay is still {state}: the device acknowledged but did not follow (wrong output, or the relay"
    " has no power).",
)
CANNOT_READ_BACK = ("(đầu ra này không đọc lại được)", "(this output cannot be read back)")
STATE_ON = ("BẬT", "ON")
STATE_OFF = ("TẮT", "OFF")
TOO_LONG = (
    "{actuator}: {seconds} giây vượt giới hạn an toàn max_on_s = {max_on_s} giây.",
    "{actuator}: {seconds} s is longer than its safety limit max_on_s = {max_on_s} s.",
)
POSITIONAL = (
    "{actuator} là {kind} (có vị trí): lệnh này chỉ bật/tắt đầu ra bật/tắt, không chạy động cơ.",
    "{actuator} is a {kind} (positional): this command only pulses on/off outputs, it does not run motors.",
)
INTERLOCKS = (
    "Chú ý: {actuator} có khoá liên động ({what}) mà lệnh thử này KHÔNG kiểm tra. Đảm bảo an toàn trước khi chạy.",
    "Note: {actuator} has interlocks ({what}) that this test does NOT check. Make sure it is safe to run.",
)
WRITE_FAILED = ("Ghi {what} thất bại: {detail}", "Writing {what} failed: {detail}")

# -- import-ha -------------------------------------------------------------------------------------------------
HA_LISTENING = (
    "Đang nghe cấu hình discovery trên {broker} ({prefix}/#) trong {wait} giây…",
    "Listening for discovery configs on {broker} ({prefix}/#) for {wait} s…",
)
HA_BROKER = ("Không kết nối được broker {broker}: {detail}", "Cannot connect to the broker {broker}: {detail}")
HA_NONE = (
    "Không có cấu hình discovery nào dưới '{prefix}/' trên {broker}. Bật discovery trong firmware: Tasmota"
    " 'SetOption19 1', ESPHome 'mqtt: discovery: true', Zigbee2MQTT 'homeassistant: enabled: true'.",
    "No discovery config under '{prefix}/' on {broker}. Turn discovery on in the firmware: Tasmota 'SetOption19 1',"
    " ESPHome 'mqtt: discovery: true', Zigbee2MQTT 'homeassistant: enabled: true'.",
)
HA_HEADER = (
    "# {n} nút MQTT tìm thấy qua Home Assistant discovery, trên bus {bus}. Chép các dòng sau vào 'nodes:' của nhà"
    " màng:",
    "# {n} MQTT node(s) found through Home Assistant discovery, on bus {bus}. Paste these lines under the"
    " greenhouse's 'nodes:':",
)
HA_RANGE = (
    "# 'range' của mỗi cảm biến là dải thường gặp của loại đó: sửa theo thông số kỹ thuật của cảm biến.",
    "# Each sensor's 'range' is a usual span for its kind: set it from the sensor's datasheet.",
)
HA_SET_KIND = (
    "# ĐẶT 'kind' cho từng công tắc (valve, pump, fan, mister, heater): tệp không nạp được khi còn '?'. Không đoán,"
    " vì đoán sai là bật nhầm thiết bị.",
    "# SET the 'kind' of each switch (valve, pump, fan, mister, heater): the file does not load while it says '?'."
    " Not guessed: a wrong guess switches the wrong thing.",
)
HA_KIND_HERE = ("# ← đặt kind", "# ← set kind")
HA_SAME_UNIT = (
    "# cùng đơn vị {unit}: {others}: sửa 'kind' nếu cảm biến đo thứ đó",
    "# same unit {unit}: {others}: change 'kind' if that is what it measures",
)
HA_NOTHING = ("# {node}: không có gì nhập được:", "# {node}: nothing to import:")
HA_SKIP_NOT_READING = (
    "# bỏ qua {what}: thông tin về thiết bị (pin, sóng), không phải số đo nhà màng",
    "# skipped {what}: about the device (battery, signal), not a greenhouse reading",
)
HA_SKIP_UNKNOWN_KIND = (
    "# chưa nhập {what} (field {detail}): device_class '{device_class}', đơn vị '{unit}' không ứng với loại cảm biến"
    " nào; tự thêm nếu cần",
    "# not imported {what} (field {detail}): device_class '{device_class}', unit '{unit}' match no sensor kind; add"
    " it by hand if needed",
)
HA_SKIP_CALCULATED = (
    "# chưa nhập {what}: value_template không chỉ đọc một giá trị ({detail}); tự mô tả",
    "# not imported {what}: its value_template does more than read one value ({detail}); describe it by hand",
)
HA_SKIP_NAME = (
    "# chưa nhập {what}: tên '{detail}' có dấu cách, '/', '#' hoặc '+', tệp cấu hình không dùng được; đổi tên trong"
    " firmware",
    "# not imported {what}: the name '{detail}' has a space, '/', '#' or '+', which a site file cannot use; rename it"
    " in the firmware",
)
HA_SKIP_COMPONENT = (
    "# bỏ qua {what}: loại '{component}' (chỉ nhập sensor và switch)",
    "# skipped {what}: a '{component}' (only sensors and switches are imported)",
)
HA_SKIP_TOPICS = (
    "# chưa nhập {what}: chủ đề '{detail}' không theo kiểu Tasmota, ESPHome hay Zigbee2MQTT",
    "# not imported {what}: the topic '{detail}' is laid out as neither Tasmota, ESPHome nor Zigbee2MQTT does",
)

# -- site check ------------------------------------------------------------------------------------------------
SITE_OK = (
    "{file}: Hợp lệ — {cooperative}: {greenhouses} nhà kính, {sensors} cảm biến, {actuators} thiết bị chấp hành",
    "{file}: OK — {cooperative}: {greenhouses} greenhouses, {sensors} sensors, {actuators} actuators",
)
SITE_NO_DEVICES = ("không có thiết bị", "no devices")
CONFIG_ERROR = (
    "greenhouse {command}: lỗi cấu hình trong {path}:",
    "greenhouse {command}: configuration error in {path}:",
)
PROBLEM_COUNT = ("{n} lỗi", "{n} problems")
ONE_PROBLEM = ("1 lỗi", "1 problem")
