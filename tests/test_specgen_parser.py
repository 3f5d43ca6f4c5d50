"""The Markdown parser reads any openapi-generator API or model page, edge cases included.

The pages are fixtures we wrote in the generator's format (tests/fixtures/docs), so these
tests run everywhere; the real docs are checked in test_specgen_spec.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate

from conformance.specgen.apidocs import parse_api_page
from conformance.specgen.assemble import operation_object
from conformance.specgen.command import generate
from conformance.specgen.modeldocs import parse_model_page
from conformance.specgen.types import camel_case, schema_for
from tests.conftest import FIXTURE_DOCS


def page(name: str) -> str:
    return (FIXTURE_DOCS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def operations() -> dict:
    return {
        operation.operation_id: operation
        for operation in parse_api_page(page("ThingsApi.md"), "ThingsApi.md")
    }


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


def test_models_with_nested_lists_dicts_enums_and_readonly_properties() -> None:
    name, schema = parse_model_page(page("Shelf.md"))
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
    name, schema = parse_model_page(page("ThingKind.md"))
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


def test_a_page_without_its_title_takes_the_tag_from_the_file_name_and_typed_defaults() -> None:
    (search,) = parse_api_page(page("WidgetsApi.md"), "WidgetsApi.md")
    assert search.tag == "Widgets"
    parameters = {p["name"]: p["schema"] for p in operation_object(search)["parameters"]}
    assert parameters == {
        "exact": {"type": "boolean", "default": False},
        "weight": {"type": "number", "format": "double", "default": 0.5},
    }


def test_every_primitive_a_model_page_can_name() -> None:
    _, schema = parse_model_page(page("Thing.md"))
    assert schema["required"] == ["id"]
    assert {name: (p.get("type"), p.get("format")) for name, p in schema["properties"].items()} == {
        "id": ("string", None),
        "count": ("integer", "int32"),
        "weight": ("number", "double"),
        "madeAt": ("string", "date-time"),
        "bestBefore": ("string", "date"),
        "picture": ("string", "byte"),
        "extra": ("object", None),
    }


def test_a_whole_docs_folder_becomes_valid_openapi_with_every_model_and_no_readme() -> None:
    document = generate(FIXTURE_DOCS, None, merged=True)
    validate(document)
    assert set(document["components"]["schemas"]) == {"Shelf", "Thing", "ThingKind", "ThingRequest"}
    assert sorted(document["paths"]) == ["/things", "/things/{thingId}", "/widgets/search"]


def test_a_single_page_brings_only_the_models_it_uses_transitively(tmp_path: Path) -> None:
    for name in ("ThingsApi.md", "Thing.md", "ThingKind.md", "ThingRequest.md", "Shelf.md"):
        (tmp_path / name).write_text(page(name), encoding="utf-8")
    (tmp_path / "ConversationsApi.md").write_text(page("ThingsApi.md"), encoding="utf-8")
    document = generate(tmp_path, None, merged=False)
    assert set(document["components"]["schemas"]) == {"Thing", "ThingKind", "ThingRequest"}
