"""Helpers for admin tests: submit a page's form as a browser would, read its errors."""

import csv
from html.parser import HTMLParser

from django.db import connection
from django.test.utils import CaptureQueriesContext


class _FormFields(HTMLParser):
    """Collects what a browser would submit from one form of a page."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.in_form = False
        self.pairs = []
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
        elif not self.in_form or "disabled" in attrs:
            return
        elif tag == "input":
            self._input(attrs)
        elif tag == "select" and "name" in attrs:
            self.select = {"name": attrs["name"], "multiple": "multiple" in attrs, "chosen": []}
            self.select["first"] = None
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea" and "name" in attrs:
            self.textarea = (attrs["name"], [])

    def _input(self, attrs):
        kind = attrs.get("type", "text")
        if "name" not in attrs or kind in {"submit", "button", "image", "reset", "file"}:
            return
        if kind in {"checkbox", "radio"} and "checked" not in attrs:
            return
        default = "on" if kind in {"checkbox", "radio"} else ""
        self.pairs.append((attrs["name"], attrs.get("value", default)))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            self.pairs += [(self.select["name"], value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            # Browsers drop the newline that opens a text area.
            self.pairs.append((name, "".join(parts).removeprefix("\n")))
            self.textarea = None


def form_data(response):
    """The POST data of the admin form on `response`'s page, as a browser would send it: the
    test then changes what a person would change."""
    assert response.status_code == 200, response.status_code
    parser = _FormFields(f"{response.context['opts'].model_name}_form")
    parser.feed(response.content.decode())
    data = {}
    for name, value in parser.pairs:
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def add_inline_row(data, prefix, **values):
    """Add a row to an inline, the way the "Add another" link does, with `values` typed in."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    template = f"{prefix}-__prefix__-"
    for name, value in list(data.items()):
        if template in name:
            data[name.replace(template, f"{prefix}-{index}-")] = value
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return data


def errors_of(response):
    """Every error message on the admin form page, fields and inline rows included."""
    assert response.status_code == 200, response.status_code
    messages = list(response.context["adminform"].form.errors.values())
    for inline in response.context["inline_admin_formsets"]:
        messages += [errors for form in inline.formset.forms for errors in form.errors.values()]
    return [message for errors in messages for message in errors]


def queries_to_show(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def signed_in(client, user):
    client.force_login(user)
    return client


def listed(response):
    """The rows a list page shows."""
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def csv_rows(response):
    """A streamed CSV export, read back as lists of strings (the header first)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(text.splitlines()))


def messages_after(client, response):
    """The messages a redirect leads to, as the next page shows them (which consumes them)."""
    assert response.status_code == 302, response.status_code
    return [str(message) for message in client.get(response.url).context["messages"]]
