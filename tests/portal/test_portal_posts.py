"""The blog in the portal: publish now, schedule in the site's time zone, drafts, addresses,
cover images, Markdown on the site, the time zone setting, the blog gate."""

import dataclasses
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from db.models import MediaFile, Post
from worker.services import services

import factories
from support import csrf_token


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def site_get(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


@pytest.fixture
def portal(owner_client):
    token = csrf_token(owner_client, "/portal/posts/new")

    def post(url, follow=False, **data):
        return owner_client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow)

    owner_client.post_form = post
    return owner_client


def new_post(portal, title, **data):
    response = portal.post_form("/portal/posts/new", title=title, **data)
    assert response.status_code == 303, text(response)


def the_post(db_session, tenant, slug) -> Post:
    return db_session.scalar(select(Post).where(Post.tenant_id == tenant.id, Post.slug == slug))


def image(db_session, tenant, name="harbour.jpg", width=1200, height=800) -> MediaFile:
    row = MediaFile(tenant_id=tenant.id, filename=name, storage_name=f"{tenant.id}{name}-x.jpg",
                    content_type="image/jpeg", size_bytes=1000, width=width, height=height)
    db_session.add(row)
    db_session.commit()
    return row


def test_publish_now_schedule_draft_and_delete(portal, db_session):
    tenant = portal.tenant
    new_post(portal, "Hello world", body="First paragraph.\n\nSecond one.", publish="now")
    assert "Hello world /blog/hello-world Published" in text(portal.get("/portal/posts"))
    public = site_get(portal, tenant, "/blog/hello-world")
    assert public.status_code == 200 and "Second one." in text(public)  # live at once

    post = the_post(db_session, tenant, "hello-world")
    first_published = post.published_at
    editor = f"/portal/posts/{post.id}"
    assert "Keep published, since" in text(portal.get(editor))
    portal.post_form(editor, title="Hello world", slug="hello-world", body="Edited.", publish="now")
    db_session.refresh(post)
    assert post.published_at == first_published  # saving again does not move its date

    response = portal.post_form(editor, title="Hello again", slug="hello-world", body="New words.",
                                publish="schedule", publish_at="2099-03-03T09:00")
    assert response.status_code == 303
    assert ("Hello again /blog/hello-world Scheduled for 3 March 2099, 09:00 (Europe/Amsterdam)"
            in text(portal.get("/portal/posts")))
    assert site_get(portal, tenant, "/blog/hello-world").status_code == 404
    assert 'value="2099-03-03T09:00"' in portal.get(editor).get_data(as_text=True)

    portal.post_form(editor, title="Hello again", slug="hello-world", body="New words.",
                     publish="draft", publish_at="2099-03-03T09:00")
    assert "Hello again /blog/hello-world Draft" in text(portal.get("/portal/posts"))
    assert site_get(portal, tenant, "/blog/hello-world").status_code == 404

    response = portal.post_form(f"{editor}/delete", follow=True)
    assert "Post “Hello again” is deleted." in text(response) and "No posts yet." in text(response)


@pytest.mark.parametrize("day, utc_hour", [("2027-01-15", 8), ("2027-07-15", 7)])
def test_a_post_scheduled_at_nine_in_amsterdam_appears_at_nine_there(portal, db_session, day,
                                                                     utc_hour):
    tenant = portal.tenant
    new_post(portal, "Morning news", body="Fresh.", publish="schedule", publish_at=f"{day}T09:00")
    post = the_post(db_session, tenant, "morning-news")
    due = datetime.fromisoformat(f"{day}T{utc_hour:02d}:00:00+00:00")
    assert post.published_at == due
    assert f'value="{day}T09:00"' in portal.get(f"/portal/posts/{post.id}").get_data(as_text=True)

    with freeze_time(due - timedelta(seconds=1)):
        assert site_get(portal, tenant, "/blog/morning-news").status_code == 404
        assert "Morning news" not in text(site_get(portal, tenant, "/blog"))
    with freeze_time(due):
        assert "Fresh." in text(site_get(portal, tenant, "/blog/morning-news"))
        assert "Morning news" in text(site_get(portal, tenant, "/blog"))


def test_clock_changes_a_skipped_time_is_refused_a_repeated_one_is_the_first(portal, db_session):
    response = portal.post_form("/portal/posts/new", title="Spring", publish="schedule",
                                publish_at="2027-03-28T02:30")
    assert response.status_code == 422
    assert ("28 March 2027, 02:30 does not exist in Europe/Amsterdam: the clocks are put forward "
            "then. Choose another time." in text(response))
    assert the_post(db_session, portal.tenant, "spring") is None

    new_post(portal, "Autumn", publish="schedule", publish_at="2027-10-31T02:30")
    autumn = the_post(db_session, portal.tenant, "autumn")
    assert autumn.published_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # still summer time


def test_site_dates_are_in_the_site_time_zone(portal, db_session):
    # 23:30 UTC on 15 January is already 16 January in Amsterdam.
    new_post(portal, "Late", body="Night.", publish="schedule", publish_at="2026-01-16T00:30")
    post = the_post(db_session, portal.tenant, "late")
    assert post.published_at == datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    assert "16 January 2026" in text(site_get(portal, portal.tenant, "/blog/late"))
    assert "16 January 2026" in text(site_get(portal, portal.tenant, "/blog"))


def test_the_time_zone_setting_is_checked_and_used(portal, db_session):
    tenant = portal.tenant
    page = portal.get("/portal/settings")
    assert page.status_code == 200
    assert re.search(r'<option selected value="Europe/Amsterdam">|<option value="Europe/Amsterdam" selected',
                     page.get_data(as_text=True))
    response = portal.post_form("/portal/settings", common_time_zone="Europe/Amsterdam",
                                time_zone="Mars/Olympus_Mons")
    assert response.status_code == 422
    assert "“Mars/Olympus_Mons” is not a time zone we know." in text(response)
    db_session.refresh(tenant)
    assert tenant.time_zone == "Europe/Amsterdam"

    response = portal.post_form("/portal/settings", common_time_zone="America/New_York",
                                time_zone="", follow=True)
    assert "The time zone is now America/New_York." in text(response)
    db_session.refresh(tenant)
    assert tenant.time_zone == "America/New_York"
    new_post(portal, "Breakfast", publish="schedule", publish_at="2027-01-15T09:00")
    assert the_post(db_session, tenant, "breakfast").published_at == datetime(2027, 1, 15, 14, 0,
                                                                              tzinfo=UTC)
    assert ("Scheduled for 15 January 2027, 09:00 (America/New_York)"
            in text(portal.get("/portal/posts")))

    portal.post_form("/portal/settings", common_time_zone="Europe/Amsterdam",
                     time_zone="America/Argentina/Buenos_Aires")
    db_session.refresh(tenant)
    assert tenant.time_zone == "America/Argentina/Buenos_Aires"


def test_editors_cannot_change_the_time_zone(app, db_session, client, sign_in, portal):
    editor = factories.user(db_session, portal.tenant, role="editor")
    sign_in(editor.email)
    assert client.get("/portal/settings").status_code == 403
    assert "/portal/settings" not in client.get("/portal/posts").get_data(as_text=True)


def test_cover_and_inline_images_show_on_the_site(portal, db_session):
    tenant = portal.tenant
    cover, inline = image(db_session, tenant), image(db_session, tenant, "map.png", 640, 480)
    form = portal.get("/portal/posts/new").get_data(as_text=True)
    assert f"![map](/media/{inline.storage_name})" in form  # the snippet to copy
    new_post(portal, "Harbour", publish="now", cover_image_id=str(cover.id),
             body=f"Look:\n\n![The old map](/media/{inline.storage_name})\n\n"
                  "![tracker](https://evil.example/pixel.gif)")
    page = site_get(portal, tenant, "/blog/harbour").get_data(as_text=True)
    cover_tag = re.search(rf'<img class="post-cover" src="/media/{cover.storage_name}"[^>]*>', page)
    assert cover_tag and 'width="1200"' in cover_tag[0] and 'height="800"' in cover_tag[0]
    assert f'<img src="/media/{inline.storage_name}" alt="The old map">' in page
    assert "evil.example" not in page
    listing = site_get(portal, tenant, "/blog").get_data(as_text=True)
    assert re.search(rf'<img class="post-cover" src="/media/{cover.storage_name}"[^>]*width="1200"',
                     listing)


def test_another_tenants_image_is_refused(portal, app, db_session):
    other = factories.tenant(app, db_session)
    theirs = image(db_session, other)
    for field in ("cover_image_id", "social_image_id"):
        response = portal.post_form("/portal/posts/new", title="Borrowed", publish="now",
                                    **{field: str(theirs.id)})
        assert response.status_code == 422
        assert "Choose an image from your media library." in text(response)
    assert the_post(db_session, portal.tenant, "borrowed") is None


def test_seo_fields_are_stored_and_checked(portal, db_session):
    mine = image(db_session, portal.tenant)
    response = portal.post_form("/portal/posts/new", title="Long", seo_title="x" * 121)
    assert response.status_code == 422 and "Field cannot be longer than 120 characters." in text(response)
    new_post(portal, "Found", seo_title="Found it", seo_description="All about finding.",
             social_image_id=str(mine.id))
    post = the_post(db_session, portal.tenant, "found")
    assert (post.seo_title, post.seo_description, post.social_image_id) == (
        "Found it", "All about finding.", mine.id)


def test_markdown_is_shown_formatted_and_safe(portal, db_session):
    body = ("# Big news\n\nWe are **open** on *Sunday*. [Map](https://maps.example/x)\n\n"
            "<script>alert('hi')</script>\n\n[click](javascript:alert(1))")
    form = portal.get("/portal/posts/new")
    assert "Formatting: **bold**, *italic*, ## heading, - list, [link](https://…)" in text(form)
    preview = portal.post_form("/portal/posts/new", title="Preview me", body=body, action="preview")
    assert preview.status_code == 200 and "<strong>open</strong>" in preview.get_data(as_text=True)
    assert the_post(db_session, portal.tenant, "preview-me") is None  # a preview saves nothing
    new_post(portal, "Formatted", body=body, publish="now")
    page = site_get(portal, portal.tenant, "/blog/formatted").get_data(as_text=True)
    assert "<h2>Big news</h2>" in page and "<strong>open</strong>" in page
    assert '<a href="https://maps.example/x" rel="noopener nofollow">Map</a>' in page
    assert "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt;" in page or \
        "&lt;script&gt;alert('hi')&lt;/script&gt;" in page
    assert "<script>alert" not in page and 'href="javascript' not in page


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
        ({"title": "When", "publish": "schedule", "publish_at": "next tuesday"},
         "Enter a date and time like 2025-03-07 09:30."),
        ({"title": "Whenever", "publish": "schedule"}, "Enter the date and time to publish the post on."),
        ({"title": "Sometime", "publish": "later"}, "Not a valid choice."),
    ]
    for data, message in cases:
        response = portal.post_form("/portal/posts/new", **data)
        assert response.status_code == 422 and message in text(response), message
        for name, value in data.items():
            if name != "publish":
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
