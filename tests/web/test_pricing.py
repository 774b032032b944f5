import re


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_pricing_shows_every_plan_monthly(client):
    response = client.get("/pricing")
    assert response.status_code == 200
    page = text_of(response)
    for name, price in (("Starter", "€29"), ("Professional", "€79"), ("Enterprise", "€199")):
        assert name in page
        assert f"{price} / month" in page
    assert 'href="/signup?plan=starter&amp;interval=month"' in page


def test_yearly_toggle_works_without_javascript(client):
    page = text_of(client.get("/pricing?interval=year"))
    assert "€290 / year" in page and "€790 / year" in page and "€1,990 / year" in page
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
