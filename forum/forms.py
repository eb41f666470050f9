"""WTForms for every page that changes something; each carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from forum.errors import ForumError

REQUIRED = _l("Feltet skal udfyldes.")


class ActionForm(FlaskForm):
    """A button that changes state: nothing but the CSRF token."""


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Adgangskode"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(_l("Husk mig i 14 dage"))


class TopicForm(FlaskForm):
    title = StringField(_l("Titel"))
    kind = SelectField(_l("Type"))
    region = SelectField(_l("Region"))
    theme = SelectField(_l("Tema"))
    body = TextAreaField(_l("Tekst"))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Dit svar"))


class EditPostForm(FlaskForm):
    title = StringField(_l("Titel"))
    body = TextAreaField(_l("Tekst"))
    revision = HiddenField()


class PinForm(FlaskForm):
    scope = SelectField(_l("Fastgør på"))
    until = DateField(_l("Til og med (valgfrit)"), validators=[Optional()])


class MoveForm(FlaskForm):
    region = SelectField(_l("Region"))
    theme = SelectField(_l("Tema"))


class KindForm(FlaskForm):
    kind = SelectField(_l("Type"))


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(REQUIRED), Email(_l("Skriv en gyldig e-mailadresse.")),
                    Length(max=254)],
    )
    role = SelectField(_l("Rolle"))
    municipality = SelectField(_l("Kommune"), coerce=int)
    organisation = StringField(_l("Organisation (for facilitatorer)"), validators=[Length(max=120)])


class AcceptInvitationForm(FlaskForm):
    display_name = StringField(_l("Dit navn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    job_title = StringField(_l("Stilling"), validators=[Length(max=120)])
    password = PasswordField(_l("Adgangskode (mindst 12 tegn)"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[EqualTo("password", _l("De to adgangskoder er ikke ens."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Ny adgangskode (mindst 12 tegn)"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[EqualTo("password", _l("De to adgangskoder er ikke ens."))],
    )


class PreferencesForm(FlaskForm):
    display_name = StringField(_l("Navn"), validators=[DataRequired(REQUIRED), Length(min=2, max=120)])
    job_title = StringField(_l("Stilling"), validators=[Length(max=120)])
    locale = SelectField(_l("Sprog"), choices=[("da", "Dansk"), ("en", "English")])


class UserAdminForm(FlaskForm):
    role = SelectField(_l("Rolle"))


class ThemeForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    slug = StringField(_l("Kort navn i adressen"), validators=[Length(max=60)])
    description = TextAreaField(_l("Beskrivelse"), validators=[Length(max=2000)])
    position = IntegerField(_l("Rækkefølge"), validators=[Optional()])
    is_active = BooleanField(_l("Aktivt (kan vælges til nye emner)"), default=True)


class MunicipalityForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[DataRequired(REQUIRED), Length(max=80)])
    region = SelectField(_l("Region"), coerce=int)


def add_error(form: FlaskForm, error: ForumError) -> None:
    """Show a domain error beside its field (or above the form when it has none)."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
