from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from ..models import Street


class StreetGeoSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Street
        geo_field = "boundary"
        fields = ("id", "code", "name", "kind")


class StreetSerializer(serializers.ModelSerializer):
    lng = serializers.FloatField(source="centre.x")
    lat = serializers.FloatField(source="centre.y")

    class Meta:
        model = Street
        fields = ("id", "code", "name", "kind", "lng", "lat")
