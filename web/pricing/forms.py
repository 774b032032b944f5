from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from db.languages import LANGUAGE_NAMES, UI_LANGUAGES
from tenants.passwords import password_problem
from tenants.subdomains import subdomain_problem
from web.i18n import current_language, translated


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    company = StringField(_l("Company name"), filters=[_strip], validators=[
        DataRequired(_l("Tell us your company's name.")), Length(max=120)])
    subdomain = StringField(_l("Site address"), filters=[_lower], validators=[
        DataRequired(_l("Choose the address of your site."))])
    email = EmailField(_l("Your email"), filters=[_lower], validators=[
        DataRequired(_l("We need your email to send your sign-in link.")),
        Email(_l("This does not look like an email address."), check_deliverability=False),
        Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password."))])
    template = RadioField(_l("Site template"), validators=[DataRequired(_l("Pick a template."))])
    # The language of the new site's starter content and its default language; each option is
    # named in its own language. Left out of the post: the language the visitor is using.
    site_language = RadioField(
        _l("Language of your site"), default=current_language, validate_choice=False,
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in UI_LANGUAGES])
    # The plan's free trial (signup.html words it with the plan's days); ``?trial=1`` ticks it.
    trial = BooleanField(_l("Start with the free trial"))
    # signup.html renders this label with links to /terms and /privacy.
    terms = BooleanField(
        _l("I accept the terms of service and have read the privacy statement"),
        validators=[DataRequired(_l("Please accept the terms to continue."))])

    def validate_subdomain(self, field):
        problem = subdomain_problem(field.data or "")
        if problem:
            raise ValidationError(translated(problem))

    def validate_site_language(self, field):
        if field.data not in UI_LANGUAGES:
            raise ValidationError(gettext("Choose the language of your site: %(choices)s.",
                                          choices=", ".join(LANGUAGE_NAMES[code]
                                                            for code in UI_LANGUAGES)))

    def validate_password(self, field):
        problem = password_problem(field.data or "", self.email.data, self.company.data,
                                   self.subdomain.data)
        if problem:
            raise ValidationError(translated(problem))
