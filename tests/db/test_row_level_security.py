"""Row-level security: the second wall behind tenants.scope."""

from sqlalchemy import func, select, text

from db.models import Page, Tenant, User
from tenants.scope import release_tenant, use_tenant

import factories


def test_a_query_without_its_tenant_filter_still_sees_one_tenant(app, db_session, mails):
    first = factories.tenant(app, db_session, company="First")
    second = factories.tenant(app, db_session, company="Second")
    everything = db_session.scalar(select(func.count()).select_from(Page)
                                   .where(Page.tenant_id.in_([first.id, second.id])))
    assert everything > 0

    use_tenant(db_session, first.id)
    try:
        # The filter is "forgotten" on purpose: RLS must still hide the other tenant.
        visible = db_session.scalars(select(Page.tenant_id)).all()
        assert visible and set(visible) == {first.id}
        assert db_session.scalars(select(User.tenant_id)).all() == [first.id]
        assert db_session.scalars(select(Tenant.id)).all() == [first.id]
        role = db_session.execute(text("SELECT current_user")).scalar()
        assert role == "contyzr_tenant"
    finally:
        release_tenant(db_session)
    assert db_session.execute(text("SELECT current_user")).scalar() != "contyzr_tenant"


def test_writing_a_row_for_another_tenant_is_refused(app, db_session, mails):
    import pytest
    from sqlalchemy.exc import ProgrammingError

    first = factories.tenant(app, db_session, company="First")
    second = factories.tenant(app, db_session, company="Second")
    use_tenant(db_session, first.id)
    try:
        with pytest.raises(ProgrammingError, match="row-level security"):
            with db_session.begin_nested():
                db_session.add(Page(tenant_id=second.id, slug="intruder", title="Intruder"))
                db_session.flush()
    finally:
        release_tenant(db_session)
