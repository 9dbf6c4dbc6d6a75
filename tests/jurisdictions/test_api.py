def test_streets_are_served_as_geojson(streets, client):
    response = client.get("/api/v1/streets/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 43
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert {f["properties"]["code"] for f in body["features"]} >= {"SJ", "SLT", "DH"}


def test_locate_returns_the_street(streets, client):
    response = client.get("/api/v1/streets/locate/", {"lng": "116.4665", "lat": "39.8935"})
    assert response.status_code == 200
    assert response.json()["code"] == "SJ"
    assert response.json()["name"] == "双井街道"


def test_locate_outside_the_district_is_404_with_a_message(streets, client):
    response = client.get("/api/v1/streets/locate/", {"lng": "121.47", "lat": "31.23"})
    assert response.status_code == 404
    assert "朝阳区" in response.json()["detail"]


def test_locate_with_absurd_coordinates_is_400_naming_the_problem(streets, client):
    response = client.get("/api/v1/streets/locate/", {"lng": "1e150", "lat": "39.9"})
    assert response.status_code == 400
    assert "lng" in response.json()["detail"]
    response = client.get("/api/v1/streets/locate/", {"lng": "x", "lat": "39.9"})
    assert response.status_code == 400
    response = client.get("/api/v1/streets/locate/", {"lat": "39.9"})
    assert response.status_code == 400
