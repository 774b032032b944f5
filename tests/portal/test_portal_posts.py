"""The blog in the portal: drafts, scheduled and published posts, addresses, the blog gate."""

import dataclasses
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.models import Post
from worker.services import services

import factories
from support import csrf_token


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def site_get(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


def local(moment: datetime) -> str:
    """What the browser's date-time input sends."""
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def portal(owner_client):
    token = csrf_token(owner_client, "/portal/posts/new")

    def post(url, follow=False, **data):
        return owner_client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow)

    owner_client.post_form = post
    return owner_client


def new_post(portal, title, slug="", body="", published_at=""):
    response = portal.post_form("/portal/posts/new", title=title, slug=slug, body=body,
                                published_at=published_at)
    assert response.status_code == 303, text(response)


def the_post(db_session, tenant, slug) -> Post:
    return db_session.scalar(select(Post).where(Post.tenant_id == tenant.id, Post.slug == slug))


def test_write_publish_schedule_unpublish_and_delete_a_post(portal, db_session):
    tenant = portal.tenant
    yesterday = datetime.now(UTC) - timedelta(days=1)
    new_post(portal, "Hello world", body="First paragraph.\n\nSecond one.", published_at=local(yesterday))
    listing = text(portal.get("/portal/posts"))
    assert f"Hello world /blog/hello-world Published {yesterday:%-d %b %Y, %H:%M} UTC" in listing
    public = site_get(portal, tenant, "/blog/hello-world")
    assert public.status_code == 200 and "Second one." in text(public)

    post = the_post(db_session, tenant, "hello-world")
    editor = f"/portal/posts/{post.id}"
    form = portal.get(editor).get_data(as_text=True)
    assert f'value="{local(yesterday)}"' in form  # shown back in UTC

    next_week = datetime.now(UTC) + timedelta(days=7)
    response = portal.post_form(editor, title="Hello again", slug="hello-world", body="New words.",
                                published_at=local(next_week))
    assert response.status_code == 303
    assert "Hello again /blog/hello-world Scheduled for" in text(portal.get("/portal/posts"))
    assert site_get(portal, tenant, "/blog/hello-world").status_code == 404

    portal.post_form(editor, title="Hello again", slug="hello-world", body="New words.",
                     published_at=local(yesterday))
    assert "New words." in text(site_get(portal, tenant, "/blog/hello-world"))
    portal.post_form(editor, title="Hello again", slug="hello-world", body="New words.", published_at="")
    assert "Hello again /blog/hello-world Draft" in text(portal.get("/portal/posts"))
    assert site_get(portal, tenant, "/blog/hello-world").status_code == 404

    response = portal.post_form(f"{editor}/delete", follow=True)
    assert "Post “Hello again” is deleted." in text(response) and "No posts yet." in text(response)


def test_address_comes_from_the_title_and_stays_unique(portal, db_session):
    new_post(portal, "Über uns & Co.")
    new_post(portal, "Uber uns: Co")
    slugs = set(db_session.scalars(select(Post.slug).where(Post.tenant_id == portal.tenant.id)))
    assert slugs == {"uber-uns-co", "uber-uns-co-2"}


def test_post_form_explains_what_is_wrong_and_keeps_the_values(portal, db_session):
    new_post(portal, "Taken", slug="taken")
    cases = [
        ({"title": "", "body": "Kept text"}, "Give the post a title."),
        ({"title": "Bad", "slug": "bad slug!"}, "Use lowercase letters, digits and single hyphens."),
        ({"title": "Again", "slug": "taken"}, "Another post already has the address /blog/taken."),
        ({"title": "!!!"}, "The title has no letters or digits to make an address from; enter one."),
        ({"title": "When", "published_at": "next tuesday"}, "Enter a date and time like 2025-03-07 09:30."),
    ]
    for data, message in cases:
        response = portal.post_form("/portal/posts/new", **data)
        assert response.status_code == 422 and message in text(response), message
        for value in data.values():
            assert html.escape(value) in response.get_data(as_text=True)
    count = select(func.count()).select_from(Post).where(Post.tenant_id == portal.tenant.id)
    assert db_session.scalar(count) == 1


def test_another_tenants_post_is_not_found(portal, app, db_session):
    other = factories.tenant(app, db_session)
    post = Post(tenant_id=other.id, slug="secret", title="Secret", body="", published_at=None)
    db_session.add(post)
    db_session.commit()
    assert portal.get(f"/portal/posts/{post.id}").status_code == 404
    assert portal.post_form(f"/portal/posts/{post.id}", title="Mine").status_code == 404
    assert portal.post_form(f"/portal/posts/{post.id}/delete").status_code == 404
    assert "Secret" not in text(portal.get("/portal/posts"))
    db_session.refresh(post)
    assert post.title == "Secret"


def test_the_blog_is_gated_by_the_plan(portal, app, monkeypatch):
    plans = services(app).catalog.plans
    starter = plans["starter"]
    monkeypatch.setitem(plans, "starter", dataclasses.replace(
        starter, features=starter.features - {"blog"}))
    for response in (portal.get("/portal/posts"), portal.get("/portal/posts/new"),
                     portal.post_form("/portal/posts/new", title="Sneaky")):
        assert response.status_code == 403 and "Blog is not part of your plan" in text(response)
