import pytest

from accounts.models import RiderProfile, Role, User

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_dashboard_draws_its_charts_for_a_district_analyst(streets, analyst, desktop_page, live_server, client):
    for i, code in enumerate(["SJ", "SJ", "DH"]):
        RiderProfile.objects.create(
            user=User.objects.create_user(f"1350000000{i}", role=Role.RIDER), work_street=streets[code]
        )
    client.force_login(analyst, backend="django.contrib.auth.backends.ModelBackend")
    page = desktop_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/analytics/dashboard/")
    canvases = page.locator("canvas[data-url]")
    count = canvases.count()
    assert count >= 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-url]')].every(c => c.dataset.drawn === '1')"
    )
    # a drawn canvas has non-transparent pixels
    painted = page.evaluate(
        """() => [...document.querySelectorAll('canvas[data-url]')].map(c => {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })"""
    )
    assert all(n > 500 for n in painted), painted
    assert page.locator("canvas").first.screenshot()[:8] == b"\x89PNG\r\n\x1a\n"
