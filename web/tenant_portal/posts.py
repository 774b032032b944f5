"""The blog: posts in Markdown, published now, scheduled in the site's time zone, or drafts."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from db.base import utcnow
from db.models import MediaFile, Post
from tenants import markdown, posts, time_zones
from tenants.posts import PostFields, Publish
from tenants.scope import get_scoped, scoped
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import requires_feature
from web.tenant_portal.pages import strip, strip_lower


def optional_id(value) -> int | None:
    """A select's value: empty is none; anything but digits is not a choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


class PostForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[
        DataRequired("Give the post a title."), Length(max=200)])
    slug = StringField("Address", filters=[strip_lower], description=(
        "The post's address under /blog/. Leave it empty to make one from the title."))
    body = TextAreaField("Text", filters=[strip], validators=[Length(max=100_000)],
                         description=markdown.HELP)
    cover_image_id = SelectField("Cover image", coerce=optional_id, validate_choice=False,
                                 description="Shown above the post and in the list of posts.")
    publish = RadioField("Publishing", default=Publish.DRAFT, choices=[
        SelectChoice(Publish.NOW, "Publish now"), SelectChoice(Publish.SCHEDULE, "Schedule for"),
        SelectChoice(Publish.DRAFT, "Save as draft")])
    publish_at = DateTimeLocalField(
        "Date and time", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[Optional()], invalid_value_message="Enter a date and time like 2025-03-07 09:30.")
    seo_title = StringField("Title for search engines", filters=[strip], validators=[
        Length(max=posts.MAX_SEO_TITLE)], description=(
        f"At most {posts.MAX_SEO_TITLE} characters. Empty uses the post's title."))
    seo_description = TextAreaField("Description for search engines", filters=[strip], validators=[
        Length(max=posts.MAX_SEO_DESCRIPTION)], description=(
        f"At most {posts.MAX_SEO_DESCRIPTION} characters, shown under the title in search results."))
    social_image_id = SelectField("Image when shared", coerce=optional_id, validate_choice=False,
                                  description="Shown when the post is shared on social media. "
                                  "Empty uses the cover image.")

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
    images = [SelectChoice("", "No image")] + [
        SelectChoice(str(row.id), row.filename) for row in _images()]
    form.cover_image_id.choices = form.social_image_id.choices = images
    if post is not None and post.published_at is not None:
        live = posts.state(post, utcnow()) == "published"
        moment = time_zones.long_moment(post.published_at, g.tenant.time_zone)
        if live:
            form.publish.choices[0] = SelectChoice(Publish.NOW, f"Keep published, since {moment}")
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
    return _saved(f"Post \u201c{post.title}\u201d is saved.")


def status(post: Post, state: str, time_zone: str) -> str:
    """'Draft', 'Scheduled for 3 March 2027, 09:00 (Europe/Amsterdam)', 'Published …'."""
    if state == "draft":
        return "Draft"
    moment = time_zones.long_moment(post.published_at, time_zone)
    return f"Scheduled for {moment}" if state == "scheduled" else f"Published {moment}"


@bp.get("/posts", endpoint="posts")
@requires_feature("blog")
def post_list():
    rows = db.session.scalars(scoped(Post, g.tenant.id).order_by(
        Post.published_at.desc().nulls_first(), Post.id.desc())).all()
    now = utcnow()
    return render_template("portal/posts/index.html", posts=[
        (post, status(post, posts.state(post, now), g.tenant.time_zone)) for post in rows])


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
    return _saved(f"Post \u201c{title}\u201d is deleted.")
