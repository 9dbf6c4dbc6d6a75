"""The standard 随手拍 categories (code, name, arrival SLA min, resolution SLA min, urgent)."""

CATEGORIES: list[tuple[str, str, int, int, bool]] = [
    ("traffic_light", "信号灯故障", 10, 120, True),
    ("road_damage", "道路破损", 30, 24 * 60, False),
    ("manhole", "井盖缺失", 10, 240, True),
    ("waterlogging", "积水", 15, 360, True),
    ("obstacle", "路面障碍", 10, 120, True),
    ("fire_hazard", "消防隐患", 10, 240, True),
    ("facility", "设施损坏", 60, 3 * 24 * 60, False),
    ("other", "其他", 120, 7 * 24 * 60, False),
]
