from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import RegistrationPerson, VolunteerTeam

FAMILY_CHOICES = [c for c in RegistrationPerson.Relationship.choices if c[0] != RegistrationPerson.Relationship.SELF]


class RiderForm(forms.Form):
    """Labels end in a full-width colon in Chinese (Django's own suffix is the ASCII one)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("label_suffix", pgettext_lazy("form label suffix", "："))
        super().__init__(*args, **kwargs)


class SignupForm(RiderForm):
    age = forms.IntegerField(label=_("本人年龄"), min_value=0, max_value=120, required=False)


class FamilyMemberForm(RiderForm):
    name = forms.CharField(label=_("姓名"), max_length=40)
    relationship = forms.ChoiceField(label=_("关系"), choices=FAMILY_CHOICES)
    age = forms.IntegerField(label=_("年龄"), min_value=0, max_value=120, required=False)


FamilyFormSet = forms.formset_factory(
    FamilyMemberForm, extra=0, max_num=settings.PARTYBRANCH_MAX_FAMILY_SIZE - 1, validate_max=True
)


class HoursDeclareForm(RiderForm):
    team = forms.ModelChoiceField(label=_("服务队"), queryset=VolunteerTeam.objects.order_by("name"))
    start = forms.DateTimeField(
        label=_("开始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    end = forms.DateTimeField(
        label=_("结束"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    note = forms.CharField(label=_("服务内容"), max_length=200, required=False)


class ScanForm(RiderForm):
    qr_token = forms.CharField(
        label=_("签到码"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "inputmode": "url"}),
        help_text=_("扫描骑手的二维码，或粘贴签到链接/签到码。"),
    )
