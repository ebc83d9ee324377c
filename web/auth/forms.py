from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length

from web.text_input import OneLine

REQUIRED = InputRequired(message=_l("This field is required."))


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[REQUIRED, Length(max=120), OneLine()])
    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[REQUIRED],
        description=_l("At least 10 characters. A short phrase is easy to remember."),
    )
    kind = RadioField(
        _l("What do you want to collect?"),
        choices=[
            SelectChoice("landlord", _l("Rent (I am a landlord)")),
            SelectChoice("business", _l("Invoices (I run a business)")),
        ],
        validators=[InputRequired(message=_l("Choose landlord or business."))],
    )
    workspace_name = StringField(
        _l("Name of your workspace"),
        validators=[Length(max=120), OneLine()],
        description=_l("For example your name or your company's. You can have more later."),
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[REQUIRED])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[REQUIRED])
    confirm = PasswordField(_l("Repeat the new password"), validators=[REQUIRED])


class AccountForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[REQUIRED, Length(max=120), OneLine()])
    language = RadioField(
        _l("Language of the app and your emails"),
        choices=[SelectChoice("es", "Español"), SelectChoice("en", "English")],
        validators=[REQUIRED],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[REQUIRED])
    password = PasswordField(_l("New password"), validators=[REQUIRED])
    confirm = PasswordField(_l("Repeat the new password"), validators=[REQUIRED])


class JoinForm(FlaskForm):
    """An invited person without an account: their email comes from the invitation."""

    name = StringField(_l("Your name"), validators=[REQUIRED, Length(max=120), OneLine()])
    password = PasswordField(
        _l("Password"),
        validators=[REQUIRED],
        description=_l("At least 10 characters. A short phrase is easy to remember."),
    )
    confirm = PasswordField(_l("Repeat the password"), validators=[REQUIRED])
