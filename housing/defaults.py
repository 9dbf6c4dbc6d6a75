"""The district-wide eligibility rules every install starts with (code, failure message shown to the rider).
load_reference creates the missing ones; staff switch a rule off with `active` rather than deleting it (a
deleted default comes back on the next load_reference)."""

RULES: list[tuple[str, str]] = [
    ("new_employment", "需在朝阳区从事快递、外卖或网约车等新就业形态工作（请在“我的”中填写职业和工作街道）。"),
    ("no_active_lease", "您名下已有在租的保障性住房，不能重复申请。"),
]
