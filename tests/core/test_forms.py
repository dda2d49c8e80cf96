"""core.forms.share_fields: forms that share their fields still validate each on its own."""

from django import forms

from core.forms import share_fields
from verifications.forms import SmsCodeRequestForm

GOOD = {
    "mobile": "13800138000",
    "image_code": "AB12",
    "image_code_id": "00000000-0000-4000-8000-000000000001",
}


def test_shared_fields_are_not_copied_per_form():
    first, second = SmsCodeRequestForm(GOOD), SmsCodeRequestForm({})
    assert first.fields is second.fields is SmsCodeRequestForm.base_fields


def test_forms_sharing_fields_keep_their_own_data_and_errors():
    bad = SmsCodeRequestForm({**GOOD, "mobile": "12345", "purpose": "nonsense"})
    good = SmsCodeRequestForm(GOOD)
    missing = SmsCodeRequestForm({})

    assert bad.is_valid() is False
    assert good.is_valid() is True
    assert missing.is_valid() is False

    assert set(bad.errors) == {"mobile", "purpose"}
    assert good.errors == {}
    assert good.cleaned_data["mobile"] == "13800138000"
    assert good.cleaned_data["purpose"] == "register"  # none sent: registration
    assert set(missing.errors) == {"mobile", "image_code", "image_code_id"}
    # The refusal of each is its own first error.
    assert bad.refusal().field == "mobile"
    assert missing.refusal().message == "请输入手机号"


def test_an_unshared_form_still_gets_its_own_copy():
    class Plain(forms.Form):
        name = forms.CharField()

    @share_fields
    class Shared(forms.Form):
        name = forms.CharField()

    assert Plain().fields["name"] is not Plain.base_fields["name"]
    assert Shared().fields["name"] is Shared.base_fields["name"]
