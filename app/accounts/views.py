"""Log in, register, account, and the admin's user management pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.accounts import bp, services
from app.accounts.auth import role_required
from app.accounts.forms import (
    AddEmailForm,
    ChangePasswordForm,
    InviteForm,
    LoginForm,
    MakePrimaryForm,
    NewUserForm,
    ProfileForm,
    RegisterForm,
    UserAccessForm,
)
from app.accounts.models import InviteCode, Organization, Role, School, User
from app.errors import AuthenticationError, ValidationError
from app.extensions import db, limiter
from app.forms import ActionForm, apply_validation_error


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_email_key() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so ?next= cannot send people elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.index")


def _school_choices(organization_id: int | None) -> list[SelectChoice]:
    query = select(School).order_by(School.name)
    if organization_id is not None:
        query = query.where(School.organization_id == organization_id)
    return [SelectChoice(0, "— none —")] + [SelectChoice(s.id, s.name) for s in db.session.scalars(query)]


def _school(school_id: int | None) -> School | None:
    return db.session.get(School, school_id) if school_id else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(email=form.email.data, password=form.password.data)
        except AuthenticationError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), 200 if not form.errors and not form.form_errors else 422


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    mode = current_app.config["REGISTRATION_MODE"]
    form = RegisterForm()
    organization = services.default_organization()
    form.school_id.choices = _school_choices(organization.id if organization else None)
    if form.validate_on_submit():
        if mode == "invite" and not (form.invite_code.data or "").strip():
            form.invite_code.errors = ["Enter the invite code you were given."]
        else:
            try:
                user = services.register_user(
                    email=form.email.data, name=form.name.data, password=form.password.data,
                    school=_school(form.school_id.data), invite_code=form.invite_code.data, mode=mode,
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                db.session.commit()
                login_user(user)
                # Back to the credential she came from (its Start button links here with ?next=).
                target = request.args.get("next")
                flash("Your account is ready." if target else "Your account is ready. Pick a credential to start.", "success")
                return redirect(_safe_next(target) if target else url_for("credentials.catalog"))
    status = 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template("accounts/register.html", form=form, mode=mode), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = ChangePasswordForm(prefix="password")
    choices = _school_choices(current_user.organization_id)
    profile.school_id.choices = choices
    if request.method == "GET":
        profile.school_id.data = current_user.school_id or 0
    status = 200
    if "profile-submit" in request.form and profile.validate_on_submit():
        try:
            services.update_profile(user=current_user, name=profile.name.data, school=_school(profile.school_id.data))
        except ValidationError as exc:
            apply_validation_error(profile, exc)
            status = 422
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.account"))
    elif "password-submit" in request.form and password.validate_on_submit():
        try:
            services.change_password(
                user=current_user, current_password=password.current_password.data,
                new_password=password.new_password.data,
            )
        except ValidationError as exc:
            apply_validation_error(password, exc)
            status = 422
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # the session id changed with the nonce
            flash("Your password is changed. Other sessions and API tokens were signed out.", "success")
            return redirect(url_for("accounts.account"))
    if request.method == "POST" and (profile.errors or password.errors):
        status = 422
    return render_template("accounts/account.html", profile=profile, password=password), status


def _emails_page(add: AddEmailForm | None = None, primary: MakePrimaryForm | None = None,
                 primary_id: int | None = None, status: int = 200):
    return render_template(
        "accounts/emails.html", addresses=services.email_addresses(current_user), add=add or AddEmailForm(),
        primary=primary or MakePrimaryForm(), primary_id=primary_id, action=ActionForm(),
        limit=services.MAX_EMAIL_ADDRESSES,
    ), status


@bp.route("/account/emails", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def emails():
    """Her further e-mail addresses: add one (a confirmation link is mailed to it)."""
    form = AddEmailForm()
    if form.validate_on_submit():
        try:
            address = services.add_email_address(user=current_user, email=form.email.data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            db.session.commit()
            flash(f"We sent a confirmation link to {address.email}. Open it to add the address.", "success")
            return redirect(url_for("accounts.emails"))
    return _emails_page(add=form, status=422 if form.errors or form.form_errors else 200)


@bp.route("/account/emails/<int:address_id>/resend", methods=["POST"])
@login_required
@limiter.limit(_login_limit)
def email_resend(address_id: int):
    address = services.get_email_address(current_user, address_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.resend_email_verification(user=current_user, address=address)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"We sent a new confirmation link to {address.email}.", "success")
    return redirect(url_for("accounts.emails"))


@bp.route("/account/emails/<int:address_id>/remove", methods=["POST"])
@login_required
def email_remove(address_id: int):
    address = services.get_email_address(current_user, address_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    email = address.email
    services.remove_email_address(user=current_user, address=address)
    db.session.commit()
    flash(f"{email} is no longer on your account.", "success")
    return redirect(url_for("accounts.emails"))


@bp.route("/account/emails/<int:address_id>/primary", methods=["POST"])
@login_required
@limiter.limit(_login_limit)
def email_primary(address_id: int):
    """Log in with this verified address from now on (asks for the password)."""
    address = services.get_email_address(current_user, address_id)
    form = MakePrimaryForm()
    if form.validate_on_submit():
        try:
            services.make_email_primary(user=current_user, address=address, password=form.password.data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            db.session.commit()
            flash(f"You now log in with {current_user.email}. Your badges verify with either address.", "success")
            return redirect(url_for("accounts.emails"))
    return _emails_page(primary=form, primary_id=address_id, status=422)


@bp.route("/account/emails/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link from the confirmation mail. GET only shows a button, so a mail scanner that
    follows links confirms nothing; the POST confirms."""
    form = ActionForm()
    try:
        address = services.pending_email_confirmation(token)
    except ValidationError as exc:
        return render_template("accounts/confirm_email.html", error=exc.message, form=form), 404
    if form.validate_on_submit():
        try:
            services.confirm_email_address(token)
        except ValidationError as exc:
            return render_template("accounts/confirm_email.html", error=exc.message, form=form), 409
        db.session.commit()
        flash(f"{address.email} is confirmed. Badges issued to it now verify as yours.", "success")
        return redirect(url_for("accounts.emails") if current_user.is_authenticated else url_for("accounts.login"))
    return render_template("accounts/confirm_email.html", address=address, form=form, token=token)


@bp.route("/admin/users")
@role_required(Role.ADMIN)
def admin_users():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    query = select(User).options(selectinload(User.school)).order_by(User.name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), User.name.ilike(like)))
    if role in {r.value for r in Role}:
        query = query.where(User.role_rows.any(role=Role(role)))
    page = db.paginate(query, per_page=50, error_out=False)
    invites = db.session.scalars(
        select(InviteCode).options(selectinload(InviteCode.school)).order_by(InviteCode.created_at.desc()).limit(20)
    ).all()
    return render_template("accounts/admin_users.html", page=page, q=q, role=role, invites=invites,
                           invite_form=_invite_form(), new_form=_new_user_form())


def _new_user_form() -> NewUserForm:
    form = NewUserForm(prefix="new")
    form.school_id.choices = _school_choices(current_user.organization_id)
    return form


def _invite_form() -> InviteForm:
    form = InviteForm(prefix="invite")
    form.school_id.choices = _school_choices(current_user.organization_id)
    return form


@bp.route("/admin/users/new", methods=["POST"])
@role_required(Role.ADMIN)
def admin_user_create():
    form = _new_user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data, name=form.name.data, password=form.password.data,
                roles={Role(r) for r in form.roles.data} or {Role.TEACHER},
                organization=current_user.organization, school=_school(form.school_id.data), actor=current_user,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            db.session.commit()
            flash(f"Created {user.email}.", "success")
            return redirect(url_for("accounts.admin_user", user_id=user.id))
    return render_template("accounts/admin_user_new.html", form=form), 422


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserAccessForm()
    form.school_id.choices = _school_choices(user.organization_id)
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in user.roles)
        form.school_id.data = user.school_id or 0
        form.active.data = user.active
    status = 200
    if form.validate_on_submit():
        try:
            services.update_user_access(
                actor=current_user, user=user, roles={Role(r) for r in form.roles.data},
                active=form.active.data, school=_school(form.school_id.data),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(f"Saved {user.email}.", "success")
            return redirect(url_for("accounts.admin_user", user_id=user.id))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/admin_user.html", user=user, form=form), status


@bp.route("/admin/invites", methods=["POST"])
@role_required(Role.ADMIN)
def admin_invite_create():
    form = _invite_form()
    organization = current_user.organization or db.session.scalar(select(Organization).limit(1))
    if organization is None:
        abort(409)
    if form.validate_on_submit():
        invite = services.create_invite(
            actor=current_user, organization=organization, role=Role(form.role.data),
            school=_school(form.school_id.data), max_uses=form.max_uses.data, days=form.days.data,
        )
        db.session.commit()
        flash(f"Invite code created: {invite.code}", "success")
    else:
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
    return redirect(url_for("accounts.admin_users"))
