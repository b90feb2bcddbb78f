"""Properties of the typed door, fuzzed with Hypothesis: whatever arrives, a typed request or a readable refusal.

Any JSON value, any text (NUL, unpaired surrogates, bidi overrides, joiners), any bytes as a file: each parser of
``herald.boundary`` answers with its model or a ``ValidationError`` whose every violation names the field, a rule of
the catalogue (or 格式) and says what is wrong in Chinese; no other exception ever escapes. The command line, driven
in process on a SQLite database of the small organisation, exits 0 or 2 (never 1) and writes nothing when it refuses.
``HERALD_FUZZ=long`` (``make fuzz``) selects the profile ``long`` (door_fuzz.py).
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from builders import small_org, table_snapshot
from door_fuzz import PROFILE, assert_readable, good_post
from herald.boundary import (
    FORMAT_RULE,
    DecisionIn,
    EditIn,
    ManualConfirmationIn,
    NotJson,
    PostIn,
    ReleaseIn,
    decode_request_bytes,
    parse_request,
    read_request_file,
)
from herald.errors import ValidationError

MODELS = [PostIn, ReleaseIn, DecisionIn, EditIn, ManualConfirmationIn]
# Characters that have broken text handling elsewhere: NUL, an unpaired surrogate, bidi overrides and isolates,
# joiners, a byte-order mark, line and paragraph separators, a fullwidth brace and quote.
TRICKY = ["\x00", "\ud800", "\udfff", "\u202e", "\u202d", "\u2066", "\u200d", "\u200b", "\ufeff", "\u2028", "\u2029",
          "\uff5b", "\uff02", "\\", '"', "{", "[", "\u00a0", "\u3000"]

characters = st.one_of(
    st.characters(exclude_categories=()),  # any code point but surrogates
    st.characters(categories=["Cs"]),  # unpaired surrogates
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # Chinese
    st.sampled_from(TRICKY),
)
texts = st.text(characters, max_size=60)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts | st.integers(min_value=-(2**70), max_value=2**70)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                           max_leaves=12)


def field_names(model) -> list[str]:
    """Every field name of a model and of the models inside it, so documents reach the nested fields too."""
    names: set[str] = set()
    stack = [model]
    while stack:
        current = stack.pop()
        for name, info in current.model_fields.items():
            names.add(name)
            stack += [arg for arg in getattr(info.annotation, "__args__", ()) or () if hasattr(arg, "model_fields")]
    return sorted(names)


def documents(model) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are mostly the model's own field names, whose values are anything JSON can hold."""
    keys = st.sampled_from(field_names(model)) | texts
    inner = st.dictionaries(keys, scalars | st.lists(scalars, max_size=3), max_size=5)
    return st.dictionaries(keys, scalars | inner | st.lists(inner, max_size=2), max_size=8)


def parsed_or_refused(parse, *args, **kwargs):
    """What a door answers: its value, or a refusal checked for readability. Any other exception fails the test."""
    try:
        return parse(*args, **kwargs)
    except ValidationError as refused:
        assert_readable(refused.violations, repr(args)[:400])
        if isinstance(refused, NotJson):
            assert all(v.rule_id == FORMAT_RULE for v in refused.violations)
        return refused


def as_json_text(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(PROFILE)
@given(value=json_values, ascii_only=st.booleans())
def test_any_json_value_is_a_model_or_a_readable_refusal(model, value, ascii_only):
    answer = parsed_or_refused(parse_request, model, as_json_text(value, ascii_only))
    assert isinstance(answer, model | ValidationError)
    if not isinstance(value, dict):
        assert isinstance(answer, NotJson)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(PROFILE)
@given(data=st.data())
def test_any_document_shaped_like_the_model(model, data):
    document = data.draw(documents(model))
    as_object = parsed_or_refused(parse_request, model, document)
    as_text = parsed_or_refused(parse_request, model, as_json_text(document, data.draw(st.booleans())))
    if isinstance(as_text, model):  # what the JSON text carries, the parsed object carries too
        assert as_object == as_text


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(PROFILE)
@given(text=texts | texts.map(lambda t: "{" + t) | st.text(characters, max_size=600))
def test_any_text_is_a_model_or_a_readable_refusal(model, text):
    parsed_or_refused(parse_request, model, text)


@settings(PROFILE)
@given(number=st.integers() | st.floats(), spaces=st.sampled_from(["", " ", "\t"]))
def test_a_time_written_as_a_number_is_never_guessed(number, spaces):
    """Pydantic reads a numeric text as Unix seconds; the door refuses it as it refuses a number (格式)."""
    document = {**good_post(), "publish_at": f"{spaces}{number}{spaces}"}
    refused = parsed_or_refused(parse_request, PostIn, json.dumps(document))
    assert isinstance(refused, ValidationError)
    assert ("publish_at", FORMAT_RULE) in [(v.field, v.rule_id) for v in refused.violations]


@settings(PROFILE)
@given(data=st.binary(max_size=300) | st.text(characters, max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_decode_to_text_or_a_readable_refusal(data):
    answer = parsed_or_refused(decode_request_bytes, data)
    if isinstance(answer, str):
        parsed_or_refused(parse_request, PostIn, answer)


@pytest.fixture(scope="module")
def request_file(tmp_path_factory):
    return tmp_path_factory.mktemp("requests") / "request.json"


@settings(PROFILE)
@given(data=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")))
def test_any_file_or_standard_input_is_read_or_refused(request_file, data):
    request_file.write_bytes(data)
    from_file = parsed_or_refused(read_request_file, str(request_file))
    from_stdin = parsed_or_refused(read_request_file, "-", stdin=io.BytesIO(data))
    assert type(from_file) is type(from_stdin)
    if isinstance(from_file, str):
        assert from_file == from_stdin
        parsed_or_refused(parse_request, PostIn, from_file)


@st.composite
def mutants(draw) -> dict[str, Any]:
    """A post the small organisation may queue, with one to three fields dropped, replaced, written to or added."""
    document = good_post()
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["drop", "replace", "write", "write", "add"]))
        if action == "drop" and document:
            document.pop(draw(st.sampled_from(sorted(document))))
        elif action == "write":  # text into a text field: past the door, into the policy checks and screening
            field = draw(st.sampled_from(["body", "title", "source"]))
            document[field] = draw(st.sampled_from(["", str(document.get(field) or "")])) + draw(texts)
        elif action == "replace":
            document[draw(st.sampled_from(field_names(PostIn)))] = draw(json_values)
        else:
            document[draw(texts)] = draw(json_values)
    return document


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """A SQLite database of the small organisation, shared by the examples (those accepted add posts to it)."""
    from herald.db import Database
    from herald.migrate import migrate

    folder = tmp_path_factory.mktemp("cli")
    db = Database(f"sqlite:///{folder / 'herald.db'}")
    migrate(db)
    small_org(db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HERALD_LOG_DIR", str(folder))  # where an unexpected error would be logged
        yield db, folder
    db.dispose()


def run_cli(db, folder, data: bytes) -> tuple[int, str]:
    from herald.__main__ import main

    path = folder / "request.json"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        # Directly on the database: an administrator's override in author2's name (good_post's author).
        code = main(["--db", db.url, "post", "queue", str(path), "--admin-override", "--override-reason", "测试",
                     "--as-person", "author2"])
    return code, err.getvalue()


def test_the_good_post_is_queued_by_the_cli(cli_db):
    db, folder = cli_db
    before = table_snapshot(db)
    code, stderr = run_cli(db, folder, json.dumps(good_post(), ensure_ascii=False).encode("utf-8"))
    assert (code, stderr) == (0, "")
    assert table_snapshot(db) != before


@settings(PROFILE)
@given(document=mutants(), ascii_only=st.booleans())
def test_the_cli_exits_0_or_2_and_a_refusal_writes_nothing(cli_db, document, ascii_only):
    db, folder = cli_db
    before = table_snapshot(db)
    code, stderr = run_cli(db, folder, as_json_text(document, ascii_only).encode("utf-8", "surrogatepass"))
    event(f"exit {code}")
    assert code in (0, 2), stderr
    assert "Traceback" not in stderr
    if code == 2:
        assert stderr.startswith("herald: 已拒绝") and "[" in stderr, stderr
        assert table_snapshot(db) == before
