import pytest

from reports.models import ResponseTeam
from reports.services import categories_ensure


@pytest.fixture
def categories(db) -> dict:
    return {c.code: c for c in categories_ensure()}


@pytest.fixture
def teams(streets, categories, team_member) -> dict[str, ResponseTeam]:
    """东湖 (DH) and 双井 (SJ) teams plus the district fallback; team_member belongs to 东湖's team."""
    dh = ResponseTeam.objects.create(
        street=streets["DH"], name="东湖街道应急队", webhook_secret="dh-secret", sms_phone="13700000001"
    )
    dh.members.add(team_member)
    sj = ResponseTeam.objects.create(street=streets["SJ"], name="双井街道应急队", sms_phone="13700000002")
    fallback = ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True, sms_phone="13700000009")
    return {"DH": dh, "SJ": sj, "fallback": fallback}
