import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reports.models import Category, Report, ResponseTeam


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    arrival_sla_minutes = 10
    resolution_sla_minutes = 120
    urgent = True


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponseTeam

    name = factory.Sequence(lambda n: f"应急队{n}")
    on_duty = True
    webhook_url = ""
    webhook_secret = "s3cret"
    sms_phone = "13700000000"


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    category = factory.SubFactory(CategoryFactory)
    description = "路口红绿灯不亮"
    point = factory.LazyAttribute(lambda o: o.street.centre if o.street else None)


def jpeg_bytes(size=(64, 48), color=(200, 30, 30), exif=None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, color).save(out, format="JPEG", **kwargs)
    return out.getvalue()


def jpeg_upload(name="photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")
