import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Gender, HouseholdKind, Project, RoomType
from .services.applications import MOVE_IN_MAX_DAYS
from .services.eligibility import household_mismatch

MEMBER_ROWS = 3


class ProjectFilterForm(forms.Form):
    rent_max = forms.IntegerField(label=_("月租不超过（元）"), required=False, min_value=1, max_value=100_000)
    room_type = forms.ChoiceField(label=_("房型"), required=False, choices=[("", _("不限")), *RoomType.Kind.choices])
    has_vacancy = forms.BooleanField(label=_("只看有空位"), required=False)


class ApplyForm(forms.Form):
    room_types = forms.ModelMultipleChoiceField(
        label=_("意向房型"), queryset=RoomType.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    household_kind = forms.ChoiceField(label=_("申请类型"), choices=HouseholdKind.choices)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices)
    move_in_date = forms.DateField(label=_("期望入住日期"), widget=forms.DateInput(attrs={"type": "date"}))
    work_lng = forms.CharField(required=False, widget=forms.HiddenInput)
    work_lat = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, project: Project, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["room_types"].queryset = project.room_types.all()
        self.fields["room_types"].label_from_instance = lambda rt: (
            _("%(name)s · %(rent)s元/%(mode)s · %(household)s可申请")
            % {
                "name": rt.name,
                "rent": rt.rent,
                "mode": rt.get_rent_mode_display(),
                "household": rt.get_household_display(),
            }
        )
        for i in range(MEMBER_ROWS):
            self.fields[f"member_name_{i}"] = forms.CharField(label=_("同住人姓名"), max_length=40, required=False)
            self.fields[f"member_relation_{i}"] = forms.CharField(label=_("关系"), max_length=20, required=False)

    def member_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"member_name_{i}"], self[f"member_relation_{i}"]) for i in range(MEMBER_ROWS)]

    def clean_move_in_date(self) -> datetime.date:
        value = self.cleaned_data["move_in_date"]
        today = timezone.localdate()
        if value < today:
            raise forms.ValidationError(_("期望入住日期不能早于今天。"))
        if value > today + datetime.timedelta(days=MOVE_IN_MAX_DAYS):
            raise forms.ValidationError(_("期望入住日期须在 %(n)d 天以内。") % {"n": MOVE_IN_MAX_DAYS})
        return value

    def clean(self) -> dict:
        data = super().clean() or {}
        members = []
        for i in range(MEMBER_ROWS):
            name = (data.get(f"member_name_{i}") or "").strip()
            relation = (data.get(f"member_relation_{i}") or "").strip()
            if name or relation:
                if not (name and relation):
                    self.add_error(f"member_name_{i}", _("请同时填写同住人姓名和关系。"))
                members.append({"name": name, "relation": relation})
        data["household_members"] = members
        kind = data.get("household_kind")
        room_types = list(data.get("room_types") or [])
        if kind and room_types:
            # The same check as the service, shown next to the field instead of a rejected application.
            message = household_mismatch(household_kind=kind, room_types=room_types)
            if message:
                self.add_error("room_types", message)
            elif kind == HouseholdKind.SINGLE and members:
                self.add_error("member_name_0", household_mismatch(household_kind=kind, room_types=[], members=members))
        return data
