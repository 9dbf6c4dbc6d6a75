import factory
from django.contrib.gis.geos import Point

from jurisdictions.services import locate
from stations.models import Station, Visit


class StationFactory(factory.django.DjangoModelFactory):
    """A station near 双井 (SJ) by default; pass point= and street= together for another street."""

    class Meta:
        model = Station
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"驿站{n}")
    kind = Station.Kind.STATION
    status = Station.Status.ACTIVE
    point = factory.LazyFunction(lambda: Point(116.4665, 39.8935, srid=4326))
    street = factory.LazyAttribute(lambda o: locate(o.point))
    opening_hours = "24/7"

    @factory.post_generation
    def amenities(self, create, extracted, **kwargs):
        if create and extracted:
            from stations.models import Amenity

            self.amenities.set(Amenity.objects.filter(code__in=extracted))


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    station = factory.SubFactory(StationFactory)
