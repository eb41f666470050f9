"""WTForms for every page that changes something; each carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from forum import following
from forum.errors import ForumError
from forum.urls import MAX_ID

REQUIRED = _l("Feltet skal udfyldes.")


# WTForms has no Danish catalogue: its built-in messages are given Danish texts here (and
# through translations/en, English ones again for members who chose English).
_BUILT_IN_MESSAGES = {
    "This field is required.": _l("Feltet skal udfyldes."),
    "Not a valid choice.": _l("Vælg en af mulighederne på listen."),
    "Invalid Choice: could not coerce.": _l("Vælg en af mulighederne på listen."),
    "Not a valid date value.": _l("Skriv en gyldig dato."),
    "Not a valid time value.": _l("Skriv et gyldigt klokkeslæt, fx 09:30."),
    "Not a valid integer value.": _l("Skriv et helt tal."),
    "Invalid email address.": _l("Skriv en gyldig e-mailadresse."),
    "Field must be equal to %(other_name)s.": _l("Felterne skal være ens."),
    "Field must be at least %(min)d character long.": _l("Skriv mindst %(min)d tegn."),
    "Field cannot be longer than %(max)d character.": _l("Skriv højst %(max)d tegn."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Skriv mellem %(min)d og %(max)d tegn."
    ),
}


class _DanishMessages:
    """The translations object WTForms asks for its own messages."""

    def gettext(self, message: str) -> str:
        return str(_BUILT_IN_MESSAGES.get(message, message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(_BUILT_IN_MESSAGES.get(singular, singular if n == 1 else plural))


class Form(FlaskForm):
    """Base of every form: CSRF from Flask-WTF, built-in messages in the member's language."""

    class Meta:
        def get_translations(self, form: object) -> _DanishMessages:
            return _DanishMessages()


class BoundedIntegerField(IntegerField):
    """A whole number from 0 to MAX_ID: every database column takes it (PostgreSQL's integer
    stops at 2^31-1, SQLite's at 2^63-1), so a huge number is a field error, not a 500."""

    def __init__(self, label: object = None, validators: list | None = None, **kwargs: object):
        bounds = NumberRange(0, MAX_ID, _l("Skriv et helt tal fra 0 til %(max)d."))
        super().__init__(label, [*(validators or []), bounds], **kwargs)


class LoginForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Adgangskode"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(_l("Husk mig i 14 dage"))


class PostFiles:
    """The files a post's editor sends with the text (its attach button or plain file field),
    named as UploadForm's, so the checks' errors land beside them; ``confirm`` when a file's
    text cannot be read. A mixin: WTForms collects fields from every class of a form."""

    file = MultipleFileField(_l("Vedhæft filer"))
    confirm = BooleanField(
        _l("Filerne indeholder ingen personoplysninger om børn, familier eller sager.")
    )


class TopicForm(PostFiles, Form):
    title = StringField(_l("Titel"))
    # No choice validation here: WTForms has no Danish catalogue ("Not a valid choice."), and
    # forum.topics/forum.places refuse unknown or forbidden values with Danish field errors.
    kind = SelectField(_l("Type"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    theme = SelectField(_l("Tema"), validate_choice=False)
    body = TextAreaField(_l("Tekst"))


class MeetingForm(Form):
    """A meeting, as a facilitator plans it; times are Copenhagen wall-clock times."""

    title = StringField(_l("Titel"))
    kind = SelectField(_l("Type"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    theme = SelectField(_l("Tema"), validate_choice=False)
    other_themes = SelectMultipleField(
        _l("Flere temaer (valgfrit)"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    day = DateField(_l("Dato"), validators=[Optional()])
    starts = TimeField(_l("Fra kl."), validators=[Optional()])
    ends = TimeField(_l("Til kl."), validators=[Optional()])
    end_day = DateField(_l("Slutdato, hvis mødet varer flere dage"), validators=[Optional()])
    place = StringField(_l("Sted (adresse)"))
    online_url = StringField(_l("Link til onlinemøde"))
    agenda = TextAreaField(_l("Dagsorden"))
    capacity = IntegerField(_l("Antal pladser (tomt: ingen grænse)"), validators=[Optional()])


class UploadForm(Form):
    """A file for a meeting's materials; ``confirm`` when its text cannot be read."""

    file = FileField(_l("Fil"))
    confirm = BooleanField(
        _l("Filen indeholder ingen personoplysninger om børn, familier eller sager.")
    )


class ReplyForm(PostFiles, Form):
    body = TextAreaField(_l("Dit svar"))
    # The number of the post this reply answers (its "Svar" or "Citér" link).
    reply_to = HiddenField()


class EditPostForm(PostFiles, Form):
    title = StringField(_l("Titel"))
    body = TextAreaField(_l("Tekst"))
    revision = HiddenField()


class PinForm(Form):
    scope = SelectField(_l("Fastgør på"))
    until = DateField(_l("Til og med (valgfrit)"), validators=[Optional()])


class MaterialsPinForm(Form):
    """Pin a meeting's materials to the region page, optionally until a date."""

    until = DateField(_l("Til og med (valgfrit)"), validators=[Optional()])


class MoveForm(Form):
    region = SelectField(_l("Region"))
    theme = SelectField(_l("Tema"))


class KindForm(Form):
    kind = SelectField(_l("Type"))


class InviteForm(Form):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Skriv en gyldig e-mailadresse.")),
            Length(max=254),
        ],
    )
    role = SelectField(_l("Rolle"))
    municipality = SelectField(_l("Kommune"), coerce=int)
    organisation = StringField(_l("Organisation (for facilitatorer)"), validators=[Length(max=120)])


class AcceptInvitationForm(Form):
    display_name = StringField(_l("Dit navn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    job_title = StringField(_l("Stilling"), validators=[Length(max=120)])
    password = PasswordField(
        _l("Adgangskode (mindst 12 tegn)"), validators=[DataRequired(REQUIRED)]
    )
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[EqualTo("password", _l("De to adgangskoder er ikke ens."))],
    )


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("Ny adgangskode (mindst 12 tegn)"), validators=[DataRequired(REQUIRED)]
    )
    confirm = PasswordField(
        _l("Gentag adgangskoden"),
        validators=[EqualTo("password", _l("De to adgangskoder er ikke ens."))],
    )


class PreferencesForm(Form):
    display_name = StringField(
        _l("Navn"), validators=[DataRequired(REQUIRED), Length(min=2, max=120)]
    )
    job_title = StringField(_l("Stilling"), validators=[Length(max=120)])
    locale = SelectField(_l("Sprog"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Set after construction: tuple choices in the field's constructor are deprecated
        # (a DeprecationWarning in WTForms 3.3); the setter takes them as the other forms do.
        self.locale.choices = [("da", "Dansk"), ("en", "English")]


class EmailSettingsForm(Form):
    email_level = SelectField(_l("E-mail om notifikationer"))
    digest_period = SelectField(_l("Nyhedsbrev med det nye"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.email_level.choices = [
            ("away", _l("Kun når jeg ikke er på forummet (efter 10 minutter, hvis ulæst)")),
            ("always", _l("Straks")),
            ("never", _l("Aldrig")),
        ]
        self.digest_period.choices = [
            ("weekly", _l("Ugentligt, hvis jeg ikke har været forbi")),
            ("daily", _l("Dagligt, hvis jeg ikke har været forbi")),
            ("never", _l("Aldrig")),
        ]


class FollowingDefaultsForm(Form):
    """The level a member gets in the topics they start and those they reply to."""

    started_topic_level = SelectField(_l("Når jeg starter et emne"), coerce=int)
    replied_topic_level = SelectField(_l("Når jeg svarer i et emne"), coerce=int)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.started_topic_level.choices = [
            (level, following.LEVEL_LABELS[level]) for level in following.STARTED_LEVELS
        ]
        self.replied_topic_level.choices = [
            (level, following.LEVEL_LABELS[level]) for level in following.REPLIED_LEVELS
        ]


class UserAdminForm(Form):
    role = SelectField(_l("Rolle"))


class ThemeForm(Form):
    name = StringField(_l("Navn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    slug = StringField(_l("Kort navn i adressen"), validators=[Length(max=60)])
    description = TextAreaField(_l("Beskrivelse"), validators=[Length(max=2000)])
    position = BoundedIntegerField(_l("Rækkefølge"), validators=[Optional()])
    is_active = BooleanField(_l("Aktivt (kan vælges til nye emner)"), default=True)


class MunicipalityForm(Form):
    name = StringField(_l("Navn"), validators=[DataRequired(REQUIRED), Length(max=80)])
    region = SelectField(_l("Region"), coerce=int)


def add_error(form: Form, error: ForumError) -> None:
    """Show a domain error beside its field (or above the form when it has none)."""
    for problem in [error, *getattr(error, "also", [])]:
        field = form._fields.get(problem.field) if problem.field else None
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            form.form_errors.append(problem.message)
