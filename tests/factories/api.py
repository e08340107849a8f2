"""API clients for the tests of the API: a scoped token (core.api_tokens) of a manager, and
the checks every list shares (cursor pages cover every row exactly once, an ETag's 304)."""

from rest_framework.test import APIClient

from core.api_tokens import api_token_create
from core.models import ApiToken


def scoped_api(property, user, *, areas, read_only: bool = False) -> APIClient:
    """A client sending a scoped token of `user` (a manager of `property`)."""
    _token, key = api_token_create(
        property=property,
        actor=user,
        name="Intégration",
        read_only=read_only,
        areas=areas if areas != "all" else list(ApiToken.AREAS),
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def every_page(api: APIClient, url: str, *, limit: int, key: str) -> list:
    """`key` of every row of every page of the list at `url`, following `next`."""
    seen, cursor = [], None
    for _page in range(1000):
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = api.get(url, params)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert len(body["results"]) <= limit
        seen += [row[key] for row in body["results"]]
        cursor = body["next"]
        if cursor is None:
            return seen
    raise AssertionError("the pages never end")


def assert_etag_304(api: APIClient, url: str, params: dict | None = None) -> str:
    """The read answers an ETag, and 304 with no body when it is sent back."""
    first = api.get(url, params or {})
    assert first.status_code == 200, first.content
    etag = first["ETag"]
    again = api.get(url, params or {}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304, (again.status_code, first.content, again.content)
    assert again.content == b""
    assert again["ETag"] == etag
    return etag
