"""The operator's view of accounts: staff only, mobiles masked, found by what the list shows."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import PASSWORD, unique_mobile

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/users/user/"
User = get_user_model()


@pytest.fixture
def staff_client(client):
    User.objects.create_superuser("operator", "ops@example.com", PASSWORD, mobile=unique_mobile())
    client.login(username="operator", password=PASSWORD)
    return client


@pytest.fixture
def shopper():
    return User.objects.create_user("shopper_admin", password=PASSWORD, mobile=unique_mobile())


def test_a_shopper_cannot_open_the_admin(client, shopper):
    client.login(username="shopper_admin", password=PASSWORD)

    assert client.get(CHANGELIST).status_code == 302  # to the admin's login


@pytest.mark.parametrize("how", ["username", "full", "masked", "fragment"])
def test_the_list_finds_a_shopper_and_shows_the_mobile_masked(staff_client, shopper, how):
    mobile = shopper.mobile
    masked = f"{mobile[:3]}****{mobile[-4:]}"
    term = {"username": "shopper_admin", "full": mobile, "masked": masked}.get(how, mobile[-6:])

    page = staff_client.get(CHANGELIST, {"q": term}).content.decode()
    results = page.split("<tbody>")[1].split("</tbody>")[0]  # the search box echoes the term
    results = re.sub(r"_changelist_filters=[^\"]*", "", results)  # and so do the row links

    assert "shopper_admin" in results and masked in results
    assert mobile not in results
    assert "operator" not in results  # the search narrowed the list


def test_the_change_page_shows_no_full_mobile_and_no_password_hash(staff_client, shopper):
    page = staff_client.get(f"{CHANGELIST}{shopper.pk}/change/").content.decode()

    assert f"{shopper.mobile[:3]}****{shopper.mobile[-4:]}" in page
    assert shopper.mobile not in page
    assert shopper.password not in page and shopper.password.split("$")[-1] not in page
