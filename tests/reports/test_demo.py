import io

from reports import demo
from reports.models import Report, ReportEvent, ResponseTeam


def test_the_small_demo_loads_twice_without_changing(streets, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo.load(stdout=io.StringIO(), small=True)
    counts = (Report.objects.count(), ReportEvent.objects.count(), ResponseTeam.objects.count())
    assert counts[0] == 6 and counts[2] == 44
    assert ResponseTeam.objects.get(name="东湖街道应急队").street.code == "DH"
    assert ResponseTeam.objects.get(is_district_fallback=True).name == "区应急指挥中心"
    for report in Report.objects.prefetch_related("events"):
        kinds = [e.kind for e in report.events.all()]
        assert kinds[0] == "submitted"
        if report.status == "resolved":
            assert kinds[-1] == "resolved" and report.on_site_at < report.closed_at
    demo.load(stdout=io.StringIO(), small=True)
    assert (Report.objects.count(), ReportEvent.objects.count(), ResponseTeam.objects.count()) == counts
