"""Forms for adding, editing and flagging packages (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.forms import SLUG_MAX, SLUG_PATTERN, reject_control_characters, strip_text
from webapp.links import URL_MAX, url_problem
from webapp.repos import normalise_repo_url, pypi_name, repo_url_problem

# Slugs that would make a package's own pages unreachable: /packages/p/edit/ is the package page of "edit".
RESERVED_SLUGS = {"p", "add", "edit", "new"}
TITLE_MAX = 100
FLAG_REASON_MAX = 1000
SOURCE_MAX = 500


def _pypi_name_to_url(value):
    """A bare PyPI project name, as step 1 of adding a package accepts it, becomes its PyPI address."""
    if isinstance(value, str) and value and "/" not in value and ":" not in value:
        name = pypi_name(value)
        return f"https://pypi.org/project/{name}" if name else value
    return value


def _none_to_empty(value):
    return "" if value is None else value


def validate_url(form, field) -> None:
    """WTForms validator for :func:`url_problem` (empty values are left to ``Optional``)."""
    if field.data:
        problem = url_problem(field.data)
        if problem:
            raise ValidationError(problem)


class AddSourceForm(FlaskForm):
    """Step 1 of adding a package: what the person pasted. Sent with GET (it changes nothing)."""

    class Meta:
        csrf = False

    source = StringField(
        "Repository URL or PyPI name", filters=[strip_text],
        validators=[DataRequired("Paste a repository URL or type a PyPI project name."), Length(max=SOURCE_MAX),
                    reject_control_characters],
        description="For example https://github.com/jazzband/django-invitations or django-invitations.",
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none",
                   "placeholder": "https://github.com/owner/name or a PyPI name", "maxlength": SOURCE_MAX},
    )
    grid = HiddenField(filters=[strip_text, _none_to_empty])


class PackageForm(FlaskForm):
    """The fields a person edits on a package. Remote data (stars, releases...) comes from the fetch."""

    title = StringField(
        "Title", filters=[strip_text],
        validators=[DataRequired("Give the package a title."), Length(max=TITLE_MAX), reject_control_characters],
        render_kw={"maxlength": TITLE_MAX},
    )
    slug = StringField(
        "Slug", filters=[strip_text],
        validators=[DataRequired("Choose a slug."), Length(max=SLUG_MAX)],
        description="Used in the address of the package's page: lowercase letters, digits and hyphens.",
        render_kw={"maxlength": SLUG_MAX, "autocapitalize": "none", "spellcheck": "false",
                   "pattern": "[a-z0-9]+(-[a-z0-9]+)*"},
    )
    category = SelectField("Category", coerce=int, validate_choice=True,
                           validators=[DataRequired("Choose a category.")])
    repo_url = StringField(
        "Repository URL", filters=[strip_text, _none_to_empty],
        validators=[Optional(), validate_url],
        description="GitHub, GitLab, Bitbucket and Codeberg repositories are refreshed automatically.",
        render_kw={"type": "url", "maxlength": URL_MAX, "spellcheck": "false", "placeholder": "https://"},
    )
    pypi_url = StringField(
        "PyPI URL", filters=[strip_text, _none_to_empty, _pypi_name_to_url],
        validators=[Optional(), validate_url],
        description="The project's PyPI page, or just its name on PyPI.",
        render_kw={"inputmode": "url", "maxlength": URL_MAX, "spellcheck": "false", "autocapitalize": "none",
                   "placeholder": "https://pypi.org/project/… or a name"},
    )
    documentation_url = StringField(
        "Documentation URL", filters=[strip_text, _none_to_empty],
        validators=[Optional(), validate_url],
        render_kw={"type": "url", "maxlength": URL_MAX, "spellcheck": "false", "placeholder": "https://"},
    )

    def validate_slug(self, field) -> None:
        if not SLUG_PATTERN.match(field.data or ""):
            raise ValidationError("Use lowercase letters, digits and single hyphens only (like my-package).")
        if field.data in RESERVED_SLUGS:
            raise ValidationError(f"“{field.data}” is reserved; choose another slug.")

    def validate_repo_url(self, field) -> None:
        if field.data and not field.errors:
            problem = repo_url_problem(field.data)
            if problem:
                raise ValidationError(problem)

    def validate_pypi_url(self, field) -> None:
        if field.data and not field.errors and pypi_name(field.data) is None:
            raise ValidationError("Give the project's PyPI page, like https://pypi.org/project/name/.")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.repo_url.data:
            self.repo_url.data = normalise_repo_url(self.repo_url.data)
        if ok and self.pypi_url.data:
            self.pypi_url.data = f"https://pypi.org/project/{pypi_name(self.pypi_url.data)}"
        if ok and not (self.repo_url.data or self.pypi_url.data):
            self.repo_url.errors.append("Give a repository URL or a PyPI URL (or both).")
            ok = False
        return ok

    def values(self) -> dict:
        """The submitted values, keyed by model field."""
        return {
            "title": self.title.data, "slug": self.slug.data, "category_id": self.category.data,
            "repo_url": self.repo_url.data or "", "pypi_url": self.pypi_url.data or "",
            "documentation_url": self.documentation_url.data or "",
        }


class AddPackageForm(PackageForm):
    """Step 2 of adding a package; ``grid`` carries the grid to add it to, if any."""

    grid = HiddenField(filters=[strip_text, _none_to_empty])


class EditPackageForm(PackageForm):
    """Editing a package; ``revision`` is the revision the form was loaded at.

    ``current_slug`` is accepted as it is: packages imported from elsewhere may have older slug styles
    (underscores, dots), and fixing a title must not force a new address.
    """

    revision = HiddenField()
    package_id = HiddenField()
    current_slug: str | None = None

    def validate_slug(self, field) -> None:
        if self.current_slug is not None and field.data == self.current_slug:
            return
        super().validate_slug(field)


class FlagForm(FlaskForm):
    """Reporting a package that does not belong here."""

    reason = TextAreaField(
        "Why should this package be removed?", filters=[strip_text],
        validators=[DataRequired("Say why, so staff can judge."),
                    Length(max=FLAG_REASON_MAX, message=f"At most {FLAG_REASON_MAX} characters."),
                    reject_control_characters],
        description="Spam, not a reusable package, a duplicate, malware… Staff read every report.",
        render_kw={"maxlength": FLAG_REASON_MAX, "rows": 3},
    )


DEPRECATION_REASON_MAX = 1000
REPLACEMENT_MAX = 200


class DeprecationForm(FlaskForm):
    """Marking a package deprecated or unmaintained (``action`` "mark"), or taking the mark off ("clear").

    ``replaced_by`` names the replacement by slug (the picker fills it in); the service checks it exists.
    ``revision`` is the revision the form was loaded at.
    """

    status = SelectField(
        "Status", choices=[("deprecated", "Deprecated: people should use something else"),
                           ("unmaintained", "Unmaintained: nobody looks after it any more")],
        validate_choice=True, validators=[DataRequired("Choose a status.")])
    reason = TextAreaField(
        "Reason", filters=[strip_text],
        validators=[DataRequired("Say why, so people can judge."),
                    Length(max=DEPRECATION_REASON_MAX, message=f"At most {DEPRECATION_REASON_MAX} characters."),
                    reject_control_characters],
        description="Shown on the package's page, for example “The authors recommend the fork.”",
        render_kw={"maxlength": DEPRECATION_REASON_MAX, "rows": 3},
    )
    replaced_by = StringField(
        "Replaced by (optional)", filters=[strip_text, _none_to_empty],
        validators=[Optional(), Length(max=REPLACEMENT_MAX), reject_control_characters],
        description="Type part of a listed package's name and pick it.",
        render_kw={"maxlength": REPLACEMENT_MAX, "autocomplete": "off", "spellcheck": "false",
                   "autocapitalize": "none", "list": "replacement-options"},
    )
    revision = HiddenField()


EXAMPLE_TITLE_MAX = 100


class ExampleForm(FlaskForm):
    """A site that uses the package, for its "Sites using it" list."""

    title = StringField(
        "Site name", filters=[strip_text],
        validators=[DataRequired("Name the site."),
                    Length(max=EXAMPLE_TITLE_MAX, message=f"At most {EXAMPLE_TITLE_MAX} characters."),
                    reject_control_characters],
        render_kw={"maxlength": EXAMPLE_TITLE_MAX, "placeholder": "Example Inc."},
    )
    url = StringField(
        "Address", filters=[strip_text],
        validators=[DataRequired("Enter the site's address."), validate_url],
        render_kw={"maxlength": URL_MAX, "placeholder": "https://example.org/", "inputmode": "url",
                   "spellcheck": "false", "autocapitalize": "none"},
    )
