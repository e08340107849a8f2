"""Every event is documented in the OpenAPI schema as a callback of the subscription's create
operation, with its version-1 payload; the coalescing and the organisation-wide guest events
are said there, and guest.erased's data has no personal field."""

from tests.core.test_api_conformance import openapi_schema
from webhooks.events import EVENTS


def _payload(schema: dict, callback: dict) -> dict:
    post = callback["{$request.body#/url}"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    data_ref = envelope["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    return {"description": post["description"], "data": schema["components"]["schemas"][data_ref]}


def test_every_event_is_a_documented_callback_with_its_payload():
    schema = openapi_schema()
    create = schema["paths"]["/api/v1/properties/{property_slug}/webhooks"]["post"]
    callbacks = create["callbacks"]
    assert set(callbacks) == set(EVENTS)
    erased = _payload(schema, callbacks["guest.erased"])
    assert set(erased["data"]["properties"]) == {"id", "erased_at"}
    assert "every property" in erased["description"]
    availability = _payload(schema, callbacks["availability.changed"])
    assert "Coalesced" in availability["description"]
    assert {"since", "until", "changes"} <= set(availability["data"]["properties"])
    alert = _payload(schema, callbacks["alert.raised"])
    assert {"id", "kind", "message"} <= set(alert["data"]["properties"])
