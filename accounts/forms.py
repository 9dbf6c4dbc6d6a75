from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jurisdictions.models import Street

from .models import RiderProfile
from .phone import normalize_phone


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}),
    )

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from None


class CodeForm(PhoneForm):
    code = forms.CharField(
        label=_("验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}),
    )


class RiderProfileForm(forms.ModelForm):
    name = forms.CharField(label=_("称呼"), max_length=60, required=False)
    work_street = forms.ModelChoiceField(label=_("工作街道"), queryset=Street.objects.order_by("code"), required=False)

    class Meta:
        model = RiderProfile
        fields = ("occupation", "platform", "work_street")
