import pytest

from conftest import PASSWORD

PAGES = [
    "/",
    "/customers/",
    "/customers/new/",
    "/units/",
    "/staff/",
    "/audit/",
    "/account/tokens/",
    "/account/password/",
    "/customers/imports/",
    "/staff/new/",
]


@pytest.mark.parametrize("url", PAGES)
def test_head_sees_every_page(client, world, make_customer, url):
    make_customer()
    client.login(username="head", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
