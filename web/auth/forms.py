from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from tenants.passwords import password_problem
from web.i18n import translated


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email.")),
                                                Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter your email.")),
        Email(_l("This does not look like an email address."), check_deliverability=False),
        Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(_l("Choose a password."))])

    def validate_password(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(translated(problem))
