from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from web.labels import MEMBER_ROLE_LABELS

REQUIRED = InputRequired(message=_l("This field is required."))


class InviteForm(FlaskForm):
    emails = TextAreaField(
        _l("Email addresses"),
        validators=[REQUIRED, Length(max=5000)],
        description=_l("One or more, separated by commas or new lines."),
    )
    role = SelectField(_l("Role"), validators=[REQUIRED])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[REQUIRED])


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[REQUIRED, Length(max=80)],
        description=_l("Say where it is used, e.g. “Accounting software”."),
    )


def role_choices(workspace):
    return [SelectChoice(role, MEMBER_ROLE_LABELS[role]) for role in workspace.roles]
