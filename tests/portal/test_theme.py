"""The site's look in the portal: colours, fonts, tagline, logo and favicon, checked for
readability and ownership, saved for the public site."""

import html
import re
import uuid

import pytest

from db.models import MediaFile, Tenant
from tenants.site_content import load_site_template

import factories
from support import csrf_token


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def site(client, tenant, path="/"):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


def image(db_session, tenant, width=320, height=80, content_type="image/png") -> MediaFile:
    row = MediaFile(tenant_id=tenant.id, filename="logo.png", storage_name=uuid.uuid4().hex,
                    content_type=content_type, size_bytes=100, width=width, height=height)
    db_session.add(row)
    db_session.commit()
    return row


def settings_of(db_session, tenant) -> dict:
    db_session.expire_all()
    return db_session.get(Tenant, tenant.id).site_settings


@pytest.fixture
def save(owner_client):
    """Post the theme form as the page shows it (the saved look), with ``changes``."""
    def post(**changes):
        token = csrf_token(owner_client, "/portal/theme")
        form = {"csrf_token": token, "primary_color": "#1f3a5f", "accent_color": "#e8a33d",
                "background_color": "#ffffff", "font": "sans", "tagline": "Fresh every day.",
                "logo_media_id": "", "favicon_media_id": "", **changes}
        for key in ("primary_color", "accent_color", "background_color"):
            form.setdefault(f"{key}_picker", form[key])
        return owner_client.post("/portal/theme", data=form)
    return post


def test_saved_colours_and_fonts_reach_the_sites_stylesheet(owner_client, save, db_session):
    tenant = owner_client.tenant
    page = owner_client.get("/portal/theme")
    assert page.status_code == 200
    assert 'id="theme-preview"' in page.get_data(as_text=True)
    assert "--primary: #1f3a5f;" in site(owner_client, tenant, "/theme.css").get_data(as_text=True)

    response = save(primary_color="#7B2D26", background_color="#fdf6e3", font="modern",
                    tagline="Bread, baked before dawn.")
    assert response.status_code == 303
    assert "Your site's look is saved" in text(owner_client.get(response.location))

    css = site(owner_client, tenant, "/theme.css").get_data(as_text=True)
    assert "--primary: #7b2d26;" in css and "--bg: #fdf6e3;" in css
    assert "--font-heading: \"Iowan Old Style\"" in css and "--font-body: system-ui" in css
    home = site(owner_client, tenant).get_data(as_text=True)
    assert "Bread, baked before dawn." in home
    # The portal's preview shows the saved look without JavaScript, from its own stylesheet.
    preview = owner_client.get("/portal/theme/preview.css").get_data(as_text=True)
    assert preview.startswith(".theme-preview {") and "--primary: #7b2d26;" in preview


def test_the_picker_counts_when_only_it_was_changed(owner_client, save, db_session):
    assert save(accent_color_picker="#2bb3a3").status_code == 303
    assert settings_of(db_session, owner_client.tenant)["accent_color"] == "#2bb3a3"


def test_an_unreadable_combination_is_refused_with_its_ratio_and_nothing_is_saved(
        owner_client, save, db_session):
    before = settings_of(db_session, owner_client.tenant)
    response = save(background_color="#777777", primary_color="#000000")
    assert response.status_code == 422
    page = text(response)
    assert ("Body text on the background colour would have a contrast of only 4.4:1; "
            "it needs at least 4.5:1") in page
    assert 'value="#777777"' in response.get_data(as_text=True)  # shown again as typed
    assert settings_of(db_session, owner_client.tenant) == before

    response = save(primary_color="#ff0000")
    assert response.status_code == 422
    assert "Button text on the primary colour would have a contrast of only 4.4:1" in text(response)
    assert settings_of(db_session, owner_client.tenant) == before


def test_a_colour_the_site_already_shows_may_be_kept(owner_client, save, db_session):
    """The blog template's own accent (4.2:1) does not block saving the rest of the look."""
    tenant = db_session.get(Tenant, owner_client.tenant.id)
    tenant.site_settings = {**tenant.site_settings, "accent_color": "#c0623f"}
    db_session.commit()
    assert save(accent_color="#c0623f", tagline="Kept.").status_code == 303
    assert settings_of(db_session, tenant)["tagline"] == "Kept."
    response = save(accent_color="#bb5c39")  # a change: checked
    assert response.status_code == 422
    assert "Button text on the accent colour would have a contrast of only 4.4:1" in text(response)


@pytest.mark.parametrize(("changes", "message"), [
    ({"primary_color": "red;}body{display:none"}, "Enter a colour as # and six hexadecimal digits"),
    ({"background_color": "#12345"}, "Enter a colour as # and six hexadecimal digits"),
    ({"font": "comic-sans"}, "Choose one of the font pairings"),
    ({"tagline": "x" * 161}, "Keep the tagline to 160 characters at most"),
    ({"logo_media_id": "not-a-number"}, "Choose one of the images in your media library"),
])
def test_bad_values_are_refused_with_a_message(owner_client, save, db_session, changes, message):
    before = settings_of(db_session, owner_client.tenant)
    response = save(**changes)
    assert response.status_code == 422
    assert message in text(response)
    assert settings_of(db_session, owner_client.tenant) == before


def test_another_tenants_image_is_refused(app, owner_client, save, db_session):
    other = factories.tenant(app, db_session)
    theirs = image(db_session, other)
    for field in ("logo_media_id", "favicon_media_id"):
        response = save(**{field: str(theirs.id)})
        assert response.status_code == 422
        assert "Choose one of the images in your media library, or none." in text(response)
    pdf = image(db_session, owner_client.tenant, content_type="application/pdf")
    assert save(logo_media_id=str(pdf.id)).status_code == 422
    assert "logo_media_id" not in settings_of(db_session, owner_client.tenant)


def test_logo_in_the_header_and_favicon_link_on_the_site(owner_client, save, db_session):
    tenant = owner_client.tenant
    logo = image(db_session, tenant, width=320, height=80)
    icon = image(db_session, tenant, width=64, height=64)
    assert save(logo_media_id=str(logo.id), favicon_media_id=str(icon.id)).status_code == 303

    home = site(owner_client, tenant).get_data(as_text=True)
    header = home.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert (f'<img src="/media/{logo.storage_name}" alt="{html.escape(tenant.company)}" '
            'width="320" height="80">') in header
    assert f'<link rel="icon" href="/media/{icon.storage_name}" type="image/png">' in home
    # The portal shows the chosen logo in its preview and keeps it selected.
    page = owner_client.get("/portal/theme").get_data(as_text=True)
    assert f'src="/portal/media/{logo.id}/file"' in page

    assert save(logo_media_id="", favicon_media_id="").status_code == 303
    home = site(owner_client, tenant).get_data(as_text=True)
    assert logo.storage_name not in home and 'rel="icon"' not in home


def test_reset_brings_back_the_templates_look_and_keeps_the_logo(owner_client, save, db_session):
    tenant = owner_client.tenant
    logo = image(db_session, tenant)
    assert save(primary_color="#000000", font="friendly", tagline="Mine.",
                logo_media_id=str(logo.id)).status_code == 303
    token = csrf_token(owner_client, "/portal/theme")
    response = owner_client.post("/portal/theme/reset", data={"csrf_token": token})
    assert response.status_code == 303
    template = load_site_template("corporate").settings
    settings = settings_of(db_session, tenant)
    assert settings["primary_color"] == template.primary_color == "#1f3a5f"
    assert settings["font"] == template.font and settings["tagline"] == template.tagline != "Mine."
    assert settings["logo_media_id"] == logo.id


def test_an_editor_may_change_the_theme(app, client, db_session, sign_in, mails):
    tenant = factories.tenant(app, db_session)
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)
    nav = client.get("/portal/").get_data(as_text=True).split('aria-label="Portal"')[1]
    assert re.search(r'<a href="/portal/theme" class="">Theme</a>', nav.split("</nav>")[0])
    token = csrf_token(client, "/portal/theme")
    response = client.post("/portal/theme", data={
        "csrf_token": token, "primary_color": "#0b6e4f", "accent_color": "#f4a259",
        "background_color": "#ffffff", "font": "serif", "tagline": "Edited."})
    assert response.status_code == 303
    assert "--primary: #0b6e4f;" in site(client, tenant, "/theme.css").get_data(as_text=True)
