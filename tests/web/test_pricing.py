import re


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def words_of(response) -> str:
    """The page as read: tags removed, white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_pricing_shows_every_plan_monthly_as_a_dutch_consumer_pays_it(client):
    response = client.get("/pricing")
    assert response.status_code == 200
    page = words_of(response)
    # The catalog's prices exclude VAT: a consumer in the Netherlands pays 21% on top.
    for name, consumer, business in (("Starter", "€35.09", "€29"), ("Professional", "€95.59", "€79"),
                                     ("Enterprise", "€240.79", "€199")):
        assert name in page
        assert f"{consumer} / month incl. 21% VAT" in page
        assert f"{business} excl. VAT for businesses" in page
    assert "EU businesses with a valid VAT number pay none (reverse charge)" in page
    assert 'href="/signup?plan=starter&amp;interval=month"' in text_of(response)


def test_pricing_in_dutch_speaks_of_btw(client):
    client.set_cookie("lang", "nl")
    page = words_of(client.get("/pricing"))
    assert "€ 35,09 / maand incl. 21% btw" in page and "€ 29 excl. btw voor bedrijven" in page


def test_yearly_toggle_works_without_javascript(client):
    response = client.get("/pricing?interval=year")
    read = words_of(response)
    assert "€350.90 / year" in read and "€955.90 / year" in read and "€2,407.90 / year" in read
    assert "€290 excl. VAT for businesses" in read and "€29.24 a month, billed yearly" in read
    page = text_of(response)
    assert 'href="/signup?plan=professional&amp;interval=year"' in page
    assert 'aria-current="page">Yearly' in page


def test_comparison_table_lists_flags_and_limits_side_by_side(client):
    page = text_of(client.get("/pricing"))
    table = page[page.index("<table"):page.index("</table>")]
    webshop_row = re.search(r"Webshop</th>(.*?)</tr>", table).group(1)
    assert webshop_row.count("Not included") == 1 and webshop_row.count("\"Included\"") == 2
    pages_row = re.search(r"Pages</th>(.*?)</tr>", table).group(1)
    assert re.findall(r"<td>([^<]*)</td>", pages_row) == ["10", "100", "Unlimited"]
    media_row = re.search(r"Media storage</th>(.*?)</tr>", table).group(1)
    assert re.findall(r"<td>([^<]*)</td>", media_row) == ["1 GB", "10 GB", "100 GB"]


def test_unknown_plan_is_404_not_a_traceback(client):
    response = client.get("/pricing?plan=platinum")
    assert response.status_code == 404
    assert "There is no plan called" in response.get_data(as_text=True)
    assert client.get("/signup?plan=platinum").status_code == 404
    assert client.get("/pricing?interval=weekly").status_code == 404


def test_selected_plan_is_highlighted(client):
    page = text_of(client.get("/pricing?plan=enterprise"))
    assert 'class="plan plan-selected" id="plan-enterprise"' in page


def test_plans_with_a_trial_offer_it_and_the_signup_form_ticks_it(client):
    page = text_of(client.get("/pricing"))
    for plan in ("starter", "professional"):
        assert f'href="/signup?plan={plan}&amp;interval=month&amp;trial=1">Or try it free for 14 days' in page
    assert "plan=enterprise&amp;interval=month&amp;trial=1" not in page
    form = words_of(client.get("/signup?plan=starter&interval=month&trial=1"))
    assert "Start with a free trial of 14 days: no payment today" in form
