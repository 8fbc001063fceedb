"""The verification pages: ``/verify`` for anyone, rosters for HR officers and admins.

Thin views: parse the form, call one service, render. Verification writes
nothing to the database; rosters keep their results in file storage so a large
one can be paged and downloaded.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.auth import role_required
from app.accounts.models import Role
from app.errors import ValidationError
from app.extensions import limiter
from app.forms import apply_validation_error
from app.verify import bp, receipts, services
from app.verify.forms import ReceiptForm, RosterForm, VerifyForm

PER_PAGE = 100


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _trusted_verifier() -> bool:
    # HR officers and admins verify all day; the anonymous limit protects the fetcher and the database.
    return services.can_verify_rosters(current_user)


def _read_upload(storage, field_name: str) -> bytes:
    limit = current_app.config["VERIFY_MAX_INPUT_BYTES"]
    data = storage.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(field_name, f"That file is larger than the {limit // (1024 * 1024)} MB limit.")
    return data


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"], exempt_when=_trusted_verifier)
def index():
    form = VerifyForm()
    answer = receipt = None
    status = 200
    if form.validate_on_submit():
        try:
            data = _read_upload(form.file.data, "file") if form.file.data else None
        except ValidationError as exc:
            apply_validation_error(form, exc)
            status = 422
        else:
            answer = services.verify_credential(text=None if data is not None else form.text.data, data=data,
                                                email=form.email.data)
            receipt = services.receipt_for(answer)
    elif request.method == "POST":
        status = 422
    return render_template("verify/index.html", form=form, answer=answer, receipt=receipt,
                           receipt_form=ReceiptForm(formdata=None, receipt=receipt)), status


@bp.route("/verify/receipt", methods=["POST"])
def receipt_download():
    form = ReceiptForm()
    if form.validate_on_submit():
        try:
            receipts.open_receipt(form.receipt.data)
        except ValueError:
            raise ValidationError("receipt", "This is not a receipt signed by this platform.") from None
        return Response(form.receipt.data.strip(), mimetype="application/jose", headers={
            "Content-Disposition": 'attachment; filename="verification-receipt.jws"'})
    raise ValidationError("receipt", "No receipt to download.")


@bp.route("/verify/rosters", methods=["GET", "POST"])
@role_required(Role.HR)
def rosters():
    form = RosterForm()
    status = 200
    if form.validate_on_submit():
        try:
            data = _read_upload(form.file.data, "file")
            with services.collection_paused():
                items, errors = services.parse_roster_csv(data)
                roster = services.verify_roster(verifier=current_user, items=items, errors=errors,
                                                input_digest=receipts.input_digest(data))
                token = services.store_roster(verifier=current_user, roster=roster)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            status = 422
        else:
            return redirect(url_for("verify.roster", token=token))
    elif request.method == "POST":
        status = 422
    return render_template("verify/rosters.html", form=form, max_rows=current_app.config["VERIFY_MAX_ROWS"]), status


@bp.route("/verify/rosters/<token>")
@role_required(Role.HR)
def roster(token: str):
    results = services.load_roster(verifier=current_user, token=token)
    only = request.args.get("only") == "problems"
    rows = [r for r in results["rows"] if r["status"] != "valid"] if only else results["rows"]
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    pages = max((len(rows) + PER_PAGE - 1) // PER_PAGE, 1)
    page_number = min(page_number, pages)
    shown = rows[(page_number - 1) * PER_PAGE: page_number * PER_PAGE]
    page = SimpleNamespace(page=page_number, pages=pages, has_prev=page_number > 1, has_next=page_number < pages,
                           prev_num=page_number - 1, next_num=page_number + 1)
    return render_template("verify/roster.html", token=token, results=results, rows=shown, page=page, only=only,
                           total=len(results["rows"]), labels=services.STATUS_LABELS)


@bp.route("/verify/rosters/<token>.csv")
@role_required(Role.HR)
def roster_csv(token: str):
    results = services.load_roster(verifier=current_user, token=token)
    return Response(services.roster_csv(results["rows"]), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="verification-results.csv"'})


@bp.route("/verify/rosters/<token>/receipt.jws")
@role_required(Role.HR)
def roster_receipt(token: str):
    results = services.load_roster(verifier=current_user, token=token)
    return Response(results["receipt"], mimetype="application/jose", headers={
        "Content-Disposition": 'attachment; filename="roster-verification-receipt.jws"'})
