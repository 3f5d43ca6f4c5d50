"""The Markdown parser reads any openapi-generator API or model page, edge cases included."""

from __future__ import annotations

from textwrap import dedent

import pytest

from conformance.specgen.apidocs import parse_api_page
from conformance.specgen.assemble import operation_object
from conformance.specgen.modeldocs import parse_model_page
from conformance.specgen.types import camel_case, schema_for

PAGE = dedent(
    """\
    # slskd.ThingsApi

    Method | HTTP request | Description
    ------------- | ------------- | -------------
    [**things_get**](ThingsApi.md#things_get) | **GET** /things | Lists things.
    [**things_id_put**](ThingsApi.md#things_id_put) | **PUT** /things/{thingId} |
    [**things_post**](ThingsApi.md#things_post) | **POST** /things | Makes a thing.


    # **things_get**
    > Dict[str, List[Thing]] things_get(since=since, kind=kind)

    Lists things.

    ### Example

    ```python
    ignored
    ```

    ### Parameters

    Name | Type | Description  | Notes
    ------------- | ------------- | ------------- | -------------
     **since** | **datetime**| Only newer things. | [optional]
     **kind** | [**ThingKind**](.md)|  | [optional]
     **limit** | **int**|  | [optional] [default to 10]

    ### Return type

    **Dict[str, List[Thing]]**

    ### HTTP request headers

     - **Content-Type**: Not defined
     - **Accept**: application/json

    ### HTTP response details
    | Status code | Description | Response headers |
    |-------------|-------------|------------------|
    **200** | Success |  -  |
    **304** | Not modified |  -  |

    # **things_id_put**
    > things_id_put(thing_id, body=body)

    ### Parameters

    Name | Type | Description  | Notes
    ------------- | ------------- | ------------- | -------------
     **thing_id** | **str**| The thing. |
     **body** | **str**|  | [optional]

    ### Return type

    void (empty response body)

    ### HTTP request headers

     - **Content-Type**: application/json
     - **Accept**: Not defined

    # **things_post**
    > List[Thing] things_post(thing_request)

    Makes a thing.

    Longer words about it.

    ### Parameters

    Name | Type | Description  | Notes
    ------------- | ------------- | ------------- | -------------
     **thing_request** | [**ThingRequest**](ThingRequest.md)| What to make. |

    ### Return type

    [**List[Thing]**](Thing.md)

    ### HTTP request headers

     - **Content-Type**: application/json
     - **Accept**: application/json

    ### HTTP response details
    | Status code | Description | Response headers |
    |-------------|-------------|------------------|
    **201** | Made |  -  |
    """
)


@pytest.fixture(scope="module")
def operations() -> dict:
    return {operation.operation_id: operation for operation in parse_api_page(PAGE, "ThingsApi.md")}


def test_the_endpoint_table_gives_methods_paths_summaries_and_the_tag(operations: dict) -> None:
    get = operations["things_get"]
    assert (get.method, get.path, get.summary, get.tag) == ("get", "/things", "Lists things.", "Things")
    assert operations["things_id_put"].summary == ""


def test_a_description_is_kept_only_when_it_adds_to_the_summary(operations: dict) -> None:
    assert operations["things_get"].description == ""
    assert operations["things_post"].description == "Makes a thing. Longer words about it."
    assert operations["things_id_put"].description == ""


def test_query_parameters_with_types_defaults_and_optionality(operations: dict) -> None:
    parameters = {p["name"]: p for p in operation_object(operations["things_get"])["parameters"]}
    assert parameters["since"]["schema"] == {"type": "string", "format": "date-time"}
    assert parameters["kind"]["schema"] == {"$ref": "#/components/schemas/ThingKind"}
    assert parameters["limit"]["schema"] == {"type": "integer", "format": "int32", "default": 10}
    assert not any(p["required"] for p in parameters.values())
    assert parameters["since"]["description"] == "Only newer things."


def test_dict_and_list_returns_become_nested_schemas(operations: dict) -> None:
    response = operation_object(operations["things_get"])["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
    }
    assert "content" not in operation_object(operations["things_get"])["responses"]["304"]


def test_path_parameters_map_snake_case_to_the_template_and_optional_bodies_stay_optional(
    operations: dict,
) -> None:
    put = operation_object(operations["things_id_put"])
    assert put["parameters"] == [
        {
            "name": "thingId",
            "in": "path",
            "required": True,
            "description": "The thing.",
            "schema": {"type": "string"},
        }
    ]
    assert put["requestBody"] == {"content": {"application/json": {"schema": {"type": "string"}}}}


def test_an_operation_without_a_response_table_still_has_valid_responses(operations: dict) -> None:
    assert operations["things_id_put"].responses == {}
    assert operation_object(operations["things_id_put"])["responses"] == {
        "default": {"description": "The docs list no responses."}
    }


def test_a_model_body_is_required_when_not_optional(operations: dict) -> None:
    post = operation_object(operations["things_post"])
    assert post["requestBody"]["required"] is True
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ThingRequest"
    }


MODEL = dedent(
    """\
    # Shelf

    A shelf of things.

    ## Properties
    Name | Type | Description | Notes
    ------------ | ------------- | ------------- | -------------
    **var_global** | **bool** | A keyword, escaped by the client. | [optional]
    **rows** | **List[List[Thing]]** |  |
    **labels** | **Dict[str, str]** |  | [optional]
    **kind** | [**ThingKind**](ThingKind.md) |  | [optional] [readonly]

    ## Example
    """
)


def test_models_with_nested_lists_dicts_enums_and_readonly_properties() -> None:
    name, schema = parse_model_page(MODEL)
    assert name == "Shelf"
    assert schema["description"] == "A shelf of things."
    assert schema["required"] == ["rows"]
    properties = schema["properties"]
    assert properties["global"]["type"] == "boolean", "the client's var_ escape is undone"
    assert properties["rows"] == {
        "type": "array",
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
    }
    assert properties["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert properties["kind"] == {"$ref": "#/components/schemas/ThingKind", "readOnly": True}


def test_an_enum_page_without_values_is_a_string_marked_as_a_docs_gap() -> None:
    name, schema = parse_model_page("# ThingKind\n\n\n## Properties\nName | Type | Description | Notes\n")
    assert name == "ThingKind"
    assert schema["type"] == "string"
    assert "x-docs-gap" in schema


@pytest.mark.parametrize(
    ("snake", "camel"),
    [
        ("is_active", "isActive"),
        ("un_acknowledged_message_count", "unAcknowledgedMessageCount"),
        ("id", "id"),
    ],
)
def test_python_names_become_slskd_json_names(snake: str, camel: str) -> None:
    assert camel_case(snake) == camel


def test_primitive_types() -> None:
    assert schema_for("float") == {"type": "number", "format": "double"}
    assert schema_for("date") == {"type": "string", "format": "date"}
    assert schema_for("bytearray") == {"type": "string", "format": "byte"}
