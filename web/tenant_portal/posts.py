"""The blog: posts in Markdown, published now, scheduled in the site's time zone, or drafts."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_time, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from db.base import utcnow
from db.models import MediaFile, Post
from db.models.revisions import Change
from tenants import markdown, posts, time_zones
from tenants.posts import PostFields, Publish
from tenants.scope import get_scoped, scoped
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import requires_feature
from web.tenant_portal.pages import strip, strip_lower
from web.tenant_portal.revisions import keep_revision


def optional_id(value) -> int | None:
    """A select's value: empty is none; anything but digits is not a choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


class PostForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[
        DataRequired(_l("Give the post a title.")), Length(max=200)])
    slug = StringField(_l("Address"), filters=[strip_lower], description=_l(
        "The post's address under /blog/. Leave it empty to make one from the title."))
    body = TextAreaField(_l("Text"), filters=[strip], validators=[Length(max=100_000)],
                         description=_l(markdown.HELP))
    cover_image_id = SelectField(_l("Cover image"), coerce=optional_id, validate_choice=False,
                                 description=_l("Shown above the post and in the list of posts."))
    publish = RadioField(_l("Publishing"), default=Publish.DRAFT, choices=[
        SelectChoice(Publish.NOW, _l("Publish now")),
        SelectChoice(Publish.SCHEDULE, _l("Schedule for")),
        SelectChoice(Publish.DRAFT, _l("Save as draft"))])
    publish_at = DateTimeLocalField(
        _l("Date and time"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time like 2025-03-07 09:30."))
    seo_title = StringField(_l("Title for search engines"), filters=[strip], validators=[
        Length(max=posts.MAX_SEO_TITLE)], description=_l(
        "At most %(max)s characters. Empty uses the post's title.", max=posts.MAX_SEO_TITLE))
    seo_description = TextAreaField(_l("Description for search engines"), filters=[strip],
                                    validators=[Length(max=posts.MAX_SEO_DESCRIPTION)],
                                    description=_l(
        "At most %(max)s characters, shown under the title in search results.",
        max=posts.MAX_SEO_DESCRIPTION))
    social_image_id = SelectField(_l("Image when shared"), coerce=optional_id,
                                  validate_choice=False, description=_l(
                                      "Shown when the post is shared on social media. Empty "
                                      "uses the cover image."))

    def fields(self) -> PostFields:
        return PostFields(
            title=self.title.data, slug=self.slug.data or "", body=self.body.data or "",
            cover_image_id=self.cover_image_id.data, seo_title=self.seo_title.data or "",
            seo_description=self.seo_description.data or "",
            social_image_id=self.social_image_id.data)


def _images() -> list[MediaFile]:
    return list(db.session.scalars(scoped(MediaFile, g.tenant.id).where(
        MediaFile.content_type.startswith("image/")).order_by(MediaFile.id.desc())))


def _form(post: Post | None) -> PostForm:
    """The form, filled from the post on a GET: its publish moment in the site's time zone."""
    form = PostForm(obj=post)
    images = [SelectChoice("", _("No image"))] + [
        SelectChoice(str(row.id), row.filename) for row in _images()]
    form.cover_image_id.choices = form.social_image_id.choices = images
    if post is not None and post.published_at is not None:
        live = posts.state(post, utcnow()) == "published"
        moment = _moment(post)
        if live:
            form.publish.choices = [SelectChoice(Publish.NOW, _(
                "Keep published, since %(moment)s", moment=moment)), *form.publish.choices[1:]]
        if request.method == "GET":
            form.publish.data = Publish.NOW if live else Publish.SCHEDULE
            form.publish_at.data = time_zones.to_local(post.published_at, g.tenant.time_zone)
    return form


def _post_or_404(post_id: int) -> Post:
    return get_scoped(db.session, Post, g.tenant.id, post_id) or abort(404)


def _saved(message: str):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("portal.posts"), code=303)


def _form_page(form: PostForm, post: Post | None, preview=None):
    return render_template("portal/posts/form.html", form=form, post=post, images=_images(),
                           time_zone=time_zones.zone(g.tenant.time_zone).key, preview=preview), \
        422 if form.errors else 200


def _published_at(form: PostForm, post: Post | None):
    return posts.publish_moment(form.publish.data, form.publish_at.data, g.tenant.time_zone,
                                post.published_at if post is not None else None, utcnow())


def _save(form: PostForm, post: Post | None):
    """Save the form (or show its text rendered, for "Preview") when it is valid."""
    if not form.validate_on_submit():
        return _form_page(form, post)
    if request.form.get("action") == "preview":
        return _form_page(form, post, preview=markdown.render(form.body.data))
    show_refusals(form, lambda: _form_page(form, post))
    if post is None:
        post = posts.create_post(db.session, g.tenant.id, form.fields(), _published_at(form, None))
    else:
        posts.update_post(db.session, post, form.fields(), _published_at(form, post))
    keep_revision(post, Change.POST)
    return _saved(_("Post “%(title)s” is saved.", title=post.title))


def _moment(post: Post) -> str:
    """When the post is (to be) published, in the active language and the site's time zone
    (the request's, ``web.i18n.select_time_zone``): '3 March 2027, 09:00 (Europe/Amsterdam)'."""
    return _("%(date)s, %(time)s (%(zone)s)", date=format_date(post.published_at, "d MMMM y"),
             time=format_time(post.published_at, "HH:mm"), zone=str(get_timezone()))


def status(post: Post, state: str) -> str:
    """'Draft', 'Scheduled for 3 March 2027, 09:00 (Europe/Amsterdam)', 'Published …'."""
    if state == "draft":
        return _("Draft")
    moment = _moment(post)
    if state == "scheduled":
        return _("Scheduled for %(moment)s", moment=moment)
    return _("Published %(moment)s", moment=moment)


@bp.get("/posts", endpoint="posts")
@requires_feature("blog")
def post_list():
    rows = db.session.scalars(scoped(Post, g.tenant.id).order_by(
        Post.published_at.desc().nulls_first(), Post.id.desc())).all()
    now = utcnow()
    return render_template("portal/posts/index.html", posts=[
        (post, status(post, posts.state(post, now))) for post in rows])


@bp.route("/posts/new", methods=["GET", "POST"])
@requires_feature("blog")
def new_post():
    return _save(_form(None), None)


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
@requires_feature("blog")
def edit_post(post_id: int):
    post = _post_or_404(post_id)
    return _save(_form(post), post)


@bp.post("/posts/<int:post_id>/delete")
@requires_feature("blog")
def delete_post(post_id: int):
    post = _post_or_404(post_id)
    title = post.title
    posts.delete_post(db.session, post)
    return _saved(_("Post “%(title)s” is deleted.", title=title))
