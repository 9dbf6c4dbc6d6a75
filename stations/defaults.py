"""The starting amenity vocabulary (code, name, icon): load_reference creates the missing ones; streets add
more in the admin. migrations/0002 seeded the same list when the table was made (migrations keep their own
frozen copy)."""

AMENITIES: list[tuple[str, str, str]] = [
    ("charging", "充电", "🔌"),
    ("battery_swap", "换电", "🔋"),
    ("hot_water", "热水", "♨️"),
    ("microwave", "微波炉", "🍱"),
    ("fridge", "冰箱", "🧊"),
    ("air_conditioning", "空调", "❄️"),
    ("toilet", "卫生间", "🚻"),
    ("drinking_water", "饮用水", "🚰"),
    ("seating", "休息座椅", "🪑"),
    ("first_aid", "应急药箱", "⛑️"),
    ("rain_gear", "雨具", "☂️"),
    ("rider_parking", "骑手停车位", "🛵"),
    ("safety_education", "安全教育", "📘"),
    ("wifi", "无线网络", "📶"),
    ("phone_charging", "手机充电", "📱"),
]
