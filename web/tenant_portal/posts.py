"""The blog: posts with a publish moment (empty: a draft; in the future: scheduled)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from db.base import utcnow
from db.models import Post
from tenants import posts
from tenants.scope import get_scoped, scoped
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import requires_feature
from web.tenant_portal.pages import strip, strip_lower


def as_utc(value: datetime | None) -> datetime | None:
    """A date and time without a zone (the browser's) is taken as UTC; one with a zone, converted."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def moment(value: datetime) -> str:
    """'7 Mar 2025, 09:30 UTC'."""
    return f"{as_utc(value):%-d %b %Y, %H:%M} UTC"


class PostForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[
        DataRequired("Give the post a title."), Length(max=200)])
    slug = StringField("Address", filters=[strip_lower], description=(
        "The post's address under /blog/. Leave it empty to make one from the title."))
    body = TextAreaField("Text", filters=[strip], validators=[Length(max=100_000)],
                         description="Plain text; leave an empty line between paragraphs.")
    published_at = DateTimeLocalField(
        "Publish on", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        filters=[as_utc], validators=[Optional()],
        invalid_value_message="Enter a date and time like 2025-03-07 09:30.",
        description="In UTC. Empty keeps the post a draft; a moment in the future schedules it.")


def _post_or_404(post_id: int) -> Post:
    return get_scoped(db.session, Post, g.tenant.id, post_id) or abort(404)


def _saved(message: str):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("portal.posts"), code=303)


def _form_page(form: PostForm, post: Post | None):
    return render_template("portal/posts/form.html", form=form, post=post), \
        422 if form.errors else 200


@bp.get("/posts", endpoint="posts")
@requires_feature("blog")
def post_list():
    rows = db.session.scalars(scoped(Post, g.tenant.id).order_by(
        Post.published_at.desc().nulls_first(), Post.id.desc())).all()
    now = utcnow()
    return render_template("portal/posts/index.html", moment=moment,
                           posts=[(post, posts.state(post, now)) for post in rows])


@bp.route("/posts/new", methods=["GET", "POST"])
@requires_feature("blog")
def new_post():
    form = PostForm()
    if form.validate_on_submit():
        show_refusals(form, lambda: _form_page(form, None))
        post = posts.create_post(db.session, g.tenant.id, form.title.data, form.slug.data,
                                 form.body.data or "", form.published_at.data)
        return _saved(f"Post \u201c{post.title}\u201d is saved.")
    return _form_page(form, None)


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
@requires_feature("blog")
def edit_post(post_id: int):
    post = _post_or_404(post_id)
    form = PostForm(obj=post)
    if form.validate_on_submit():
        show_refusals(form, lambda: _form_page(form, post))
        posts.update_post(db.session, post, form.title.data, form.slug.data,
                          form.body.data or "", form.published_at.data)
        return _saved(f"Post \u201c{post.title}\u201d is saved.")
    return _form_page(form, post)


@bp.post("/posts/<int:post_id>/delete")
@requires_feature("blog")
def delete_post(post_id: int):
    post = _post_or_404(post_id)
    title = post.title
    posts.delete_post(db.session, post)
    return _saved(f"Post \u201c{title}\u201d is deleted.")
