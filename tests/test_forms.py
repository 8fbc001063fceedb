"""The shared form pieces in app/forms.py."""

import pytest
from wtforms import Form, SelectField

from app.forms import LongSelect

CHOICES = [(None, "All schools"), (1, 'Hill & Dale <"Middle">'), (2, "Riverbend Elementary"), (3, "")]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class _Pair(Form):
    stock = SelectField("School", coerce=_optional_int)
    long = SelectField("School", coerce=_optional_int, widget=LongSelect())


@pytest.mark.parametrize("selected", [None, 1, 3, 99])
def test_long_select_writes_the_same_html_as_the_stock_widget(selected):
    form = _Pair()
    for field in (form.stock, form.long):
        field.choices = CHOICES
        field.data = selected
    assert str(form.long()).replace('"long"', '"stock"') == str(form.stock())
    assert "&lt;&#34;Middle&#34;&gt;" in str(form.long())  # labels are escaped


def test_long_select_keeps_the_attributes_of_an_option():
    form = _Pair()
    choices = [(1, "One", {"disabled": True}), (2, "Two", {})]
    for field in (form.stock, form.long):
        field.choices = choices
        field.data = 2
    html = str(form.long())
    assert html.replace('"long"', '"stock"') == str(form.stock())
    assert '<option disabled value="1">' in html
