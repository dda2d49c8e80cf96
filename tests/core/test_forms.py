"""core.forms: forms that share their fields still validate each on its own; clean_data
decides as the bound form does."""

import pytest
from django import forms

from core.api import Refused
from core.forms import ApiFormMixin, share_fields
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


def test_clean_data_cleans_as_the_bound_form_does():
    form = SmsCodeRequestForm({**GOOD, "purpose": "login", "image_code": " AB12 "})
    assert form.is_valid()
    cleaned = SmsCodeRequestForm.clean_data({**GOOD, "purpose": "login", "image_code": " AB12 "})
    assert cleaned == form.cleaned_data
    assert SmsCodeRequestForm.clean_data(GOOD)["purpose"] == "register"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {**GOOD, "mobile": "12345"},
        {**GOOD, "mobile": "１３８００１３８０００"},  # full-width digits
        {**GOOD, "image_code": ""},
        {**GOOD, "image_code_id": "not-a-uuid"},
        {**GOOD, "purpose": "nonsense"},
        {"mobile": "13800138000", "image_code_id": "nope"},  # the first error wins
    ],
)
def test_clean_data_refuses_as_the_bound_form_does(data):
    form = SmsCodeRequestForm(data)
    assert not form.is_valid()
    with pytest.raises(Refused) as refused:
        SmsCodeRequestForm.clean_data(data)
    assert refused.value == form.refusal()


def test_clean_data_is_refused_to_a_form_with_checks_of_its_own():
    class Checked(ApiFormMixin, forms.Form):
        name = forms.CharField()

        def clean_name(self):
            return self.cleaned_data["name"].upper()

    with pytest.raises(TypeError):
        Checked.clean_data({"name": "x"})
