"""The typed door: every request (CLI file, HTTP body, query and path parameter) is parsed here before domain code runs.

``read_request_file`` and ``check_json_shape`` refuse what is not a JSON document of a sane size and depth;
``parse_request`` turns the JSON into one of the typed models of ``herald.boundary.models`` (Pydantic v2); every
failure becomes a ``ValidationError`` whose violations name the field, the rule (or 格式 for format) and what is
wrong, in Chinese, so the CLI exits 2 and the HTTP door answers 422 (400 for a body that is not JSON).
"""

from herald.boundary.documents import (
    FORMAT_RULE,
    MAX_DEPTH,
    MAX_REQUEST_BYTES,
    NotJson,
    check_json_shape,
    decode_request_bytes,
    read_request_file,
)
from herald.boundary.incidents import incident_message, record_incident
from herald.boundary.models import (
    DecisionIn,
    EditIn,
    ManualConfirmationIn,
    PostIn,
    ReleaseBaseIn,
    ReleaseIn,
    field_help,
)
from herald.boundary.refusals import is_not_json, parse_request, violations_from, violations_from_errors

__all__ = [
    "FORMAT_RULE", "MAX_DEPTH", "MAX_REQUEST_BYTES", "DecisionIn", "EditIn", "ManualConfirmationIn", "NotJson",
    "PostIn", "ReleaseBaseIn", "ReleaseIn", "check_json_shape", "decode_request_bytes", "field_help", "incident_message",
    "is_not_json", "parse_request", "read_request_file", "record_incident", "violations_from",
    "violations_from_errors",
]
