"""Forms for signing up and signing in (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from webapp.accounts import queries, services


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    username = StringField(
        "Username", filters=[_strip], validators=[DataRequired("Choose a username.")],
        description="3–150 characters: letters, digits, hyphens, underscores and dots.",
        render_kw={"autocomplete": "username", "maxlength": services.USERNAME_MAX, "autocapitalize": "none",
                   "spellcheck": "false"},
    )
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired("Enter your email address.")],
        description="Never shown to other people.",
        render_kw={"autocomplete": "email", "maxlength": services.EMAIL_MAX},
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Choose a password.")],
        description=f"At least {services.PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password", "minlength": services.PASSWORD_MIN},
    )
    confirm = PasswordField(
        "Confirm password",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    next = HiddenField()

    def validate_username(self, field) -> None:
        problem = services.username_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
        if queries.username_taken(field.data):
            raise ValidationError("That username is taken. Choose another.")

    def validate_email(self, field) -> None:
        problem = services.email_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_password(self, field) -> None:
        problem = services.password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    username = StringField(
        "Username", filters=[_strip], validators=[DataRequired("Enter your username."), Length(max=150)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=services.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


def _check_email(_form, field) -> None:
    problem = services.email_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def _check_new_password(_form, field) -> None:
    problem = services.password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def _new_password_fields():
    password = PasswordField(
        "New password", validators=[DataRequired("Choose a password."), _check_new_password],
        description=f"At least {services.PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password", "minlength": services.PASSWORD_MIN},
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class PasswordResetRequestForm(FlaskForm):
    """Asking for a password reset link by mail."""

    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired("Enter your email address."), _check_email],
        description="The address of your account. We mail a link to choose a new password.",
        render_kw={"autocomplete": "email", "maxlength": services.EMAIL_MAX},
    )


class PasswordResetForm(FlaskForm):
    """Choosing a new password from a reset link."""

    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    """Changing the password while signed in (the current one is asked when there is one)."""

    current_password = PasswordField(
        "Current password", validators=[Length(max=services.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()


class ChangeEmailForm(FlaskForm):
    """Changing the account's email address (verified again by mail)."""

    email = EmailField(
        "New email address", filters=[_strip], validators=[DataRequired("Enter your email address."), _check_email],
        description="Never shown to other people. We mail a link to this address to confirm it.",
        render_kw={"autocomplete": "email", "maxlength": services.EMAIL_MAX},
    )
    current_password = PasswordField(
        "Current password", validators=[Length(max=services.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is posted."""
