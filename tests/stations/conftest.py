import pytest
from django.contrib.gis.geos import Point

# Points well inside their streets (checked by test_models: locate() agrees).
SJ_POINT = Point(116.4665, 39.8935, srid=4326)  # 双井, 二十二院街
SLT_POINT = Point(116.4540, 39.9350, srid=4326)  # 三里屯太古里


@pytest.fixture
def sj_point():
    return SJ_POINT.clone()


@pytest.fixture
def slt_point():
    return SLT_POINT.clone()
