"""API: verification for HR systems, over the same services as the /verify pages.

``POST /api/v1/verify`` answers anyone (rate-limited by address with
``VERIFY_RATE_LIMIT``; a token with the ``verify`` scope gets the looser
``VERIFY_TOKEN_RATE_LIMIT``, counted per token). ``POST /api/v1/verify/bulk``
needs a token with the ``verify`` scope. Every answer carries a receipt signed
by the platform; posting a receipt as ``input`` checks it.
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from app.accounts.auth import api_user, user_from_bearer
from app.api import BEARER, bp, public
from app.api.schemas import ErrorEnvelope
from app.errors import PermissionDenied, ValidationError
from app.extensions import limiter
from app.verify import receipts, services


class VerifyIn(Schema):
    input = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_TEXT), metadata={
        "description": "A badge URL, an award id, OB 2.0 assertion JSON, a compact JWS, a VC-JWT, OB 3.0 "
                       "credential JSON with its proof, or a verification receipt of this platform"})
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=320),
                          metadata={"description": "Checks the recipient (salted hash or a verified address)"})


class CheckOut(Schema):
    name = fields.String(metadata={"description": "parsed, issuer_known, issued_here, signature, key_owner, "
                                                  "hosted_origin, document_matches, not_revoked, not_expired, "
                                                  "recipient, receipt_signature, fetch_*"})
    passed = fields.Boolean(allow_none=True, metadata={"description": "null: not checked"})
    message = fields.String()


STATUSES = ["valid", *services.STATUS_ORDER]


class VerifyOut(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": " | ".join(STATUSES)})
    label = fields.String()
    message = fields.String()
    kind = fields.String(metadata={"description": "What the input was read as"})
    checks = fields.List(fields.Nested(CheckOut))
    credential = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    earner = fields.String(allow_none=True, metadata={"description": "Only when the earner made it public"})
    issued_on = fields.String(allow_none=True)
    expires = fields.String(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    assertion = fields.String(allow_none=True)
    input_digest = fields.String()
    checked_at = fields.String()
    receipt = fields.String(metadata={"description": "This answer as a compact JWS (EdDSA) signed by the platform "
                                                     "key of /.well-known/did.json"})
    receipt_contents = fields.Dict(metadata={"description": "When the input was a receipt: what it records"})


class BulkItemIn(Schema):
    # No length rules here: a bad row is answered with its row number, the others still run.
    input = fields.String(load_default="", metadata={"description": "A badge URL or award id (or any /verify input)"})
    email = fields.String(load_default=None, allow_none=True)


class BulkIn(Schema):
    items = fields.List(fields.Nested(BulkItemIn), required=True, validate=validate.Length(min=1))


class BulkRowOut(VerifyOut):
    status = fields.String(metadata={"description": " | ".join([*STATUSES, "error"]) + " (error: the row could not be read)"})
    row = fields.Integer()
    input = fields.String()
    email = fields.String(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "Why the row could not be read"})


class BulkOut(Schema):
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(BulkRowOut))
    input_digest = fields.String()
    checked_at = fields.String()
    receipt = fields.String(metadata={"description": "The whole roster's results, signed by the platform"})


def _verify_token():
    """The request's bearer token when it carries the verify scope (computed before the view runs)."""
    if "api_user" not in g:
        g.api_user = user_from_bearer()
    token = g.get("api_token")
    return token if g.api_user is not None and token is not None and "verify" in (token.scopes or []) else None


def _anonymous_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _token_limit() -> str:
    return current_app.config["VERIFY_TOKEN_RATE_LIMIT"]


def _token_key() -> str:
    token = _verify_token()
    return f"verify-token:{token.id}" if token is not None else "verify-token:none"


def _load(schema: Schema, data) -> dict:
    try:
        return schema.load(data if isinstance(data, dict) else {})
    except SchemaError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        fields_ = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}
        raise ValidationError(None, "Some fields are missing or invalid.", fields=fields_) from None


def _bulk_items(body) -> list[dict]:
    """``BulkIn`` checked by hand (the schema documents it): marshmallow takes longer over 10,000
    rows than the verification itself. Unknown keys and non-string values are refused."""
    if not isinstance(body, dict) or set(body) != {"items"} or not isinstance(body["items"], list) \
            or not body["items"]:
        raise ValidationError("items", "Send JSON {\"items\": [{\"input\": ..., \"email\": ...}, ...]}.")
    for number, item in enumerate(body["items"], start=1):
        if not isinstance(item, dict) or not set(item) <= {"input", "email"} or not all(
                value is None or isinstance(value, str) for value in item.values()):
            raise ValidationError("items", f"Item {number} must be an object with a string input and email.")
    return body["items"]


def _upload(name: str) -> bytes:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        raise ValidationError(name, f"Attach the file in the '{name}' field.")
    limit = current_app.config["VERIFY_MAX_INPUT_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(name, f"The file is larger than the {limit:,}-byte limit.")
    return data


def _multipart(properties: dict, required: list[str], json_schema) -> dict:
    return {"required": True, "content": {
        "application/json": {"schema": json_schema},
        "multipart/form-data": {"schema": {"type": "object", "required": required, "properties": properties}},
    }}


@bp.route("/verify", methods=["POST"])
@limiter.limit(_anonymous_limit, exempt_when=lambda: _verify_token() is not None)
@limiter.limit(_token_limit, key_func=_token_key, exempt_when=lambda: _verify_token() is None)
@bp.response(200, VerifyOut)
@bp.alt_response(413, schema=ErrorEnvelope, description="The upload is too large")
@bp.alt_response(422, schema=ErrorEnvelope, description="No input")
@bp.alt_response(429, schema=ErrorEnvelope, description="Too many verifications from this address or token")
@bp.doc(requestBody=_multipart(
    {"file": {"type": "string", "format": "binary", "description": "A baked PNG or SVG"},
     "email": {"type": "string"}}, ["file"], VerifyIn))
@public
def verify():
    """Verify one credential: JSON ``{input, email?}``, or multipart ``file`` (a baked image) and ``email``.

    Always 200 with a status (a forged or garbled badge is an answer, not an error)
    and every check made; 422 only when there is nothing to verify."""
    if request.mimetype == "multipart/form-data":
        data = _upload("file")
        answer = services.verify_credential(data=data, email=request.form.get("email") or None)
    else:
        body = _load(VerifyIn(), request.get_json(silent=True))
        answer = services.verify_credential(text=body["input"], email=body.get("email"))
    return {**answer.as_dict(), "receipt": services.receipt_for(answer)}


@bp.route("/verify/bulk", methods=["POST"])
@limiter.limit(_token_limit, key_func=_token_key)
@bp.response(200, BulkOut)
@bp.alt_response(401, schema=ErrorEnvelope, description="No valid token")
@bp.alt_response(403, schema=ErrorEnvelope, description="The token has no verify scope")
@bp.alt_response(413, schema=ErrorEnvelope, description="The upload is too large")
@bp.alt_response(422, schema=ErrorEnvelope, description="Too many rows, or a file that is not CSV")
@bp.alt_response(429, schema=ErrorEnvelope, description="Too many calls for this token")
@bp.doc(security=BEARER, requestBody=_multipart(
    {"file": {"type": "string", "format": "binary", "description": "CSV: award URL or id, optional e-mail"}},
    ["file"], BulkIn))
def verify_bulk():
    """Verify many awards at once (a token with the ``verify`` scope): JSON ``{items: [{input, email?}]}``
    or a CSV upload (multipart ``file``). Bad rows are answered with their row number; the rest go on."""
    user = api_user()
    if _verify_token() is None:
        raise PermissionDenied("This call needs a token with the verify scope.")
    with services.collection_paused():
        if request.mimetype == "multipart/form-data":
            data = _upload("file")
            items, errors = services.parse_roster_csv(data)
        else:
            data = request.get_data()
            items, errors = services.items_from_json(_bulk_items(request.get_json(silent=True)))
        roster = services.verify_roster(verifier=user, items=items, errors=errors,
                                        input_digest=receipts.input_digest(data))
        # Already plain JSON types; dumping 10,000 nested rows through marshmallow would cost more than checking them.
        return jsonify({**roster.as_dict(), "receipt": services.roster_receipt(roster)})
