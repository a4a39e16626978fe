from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.models import TraffickingType
from reports.selectors import date_range_error


class DashboardFilters(forms.Form):
    """The filters every chart of the dashboard applies. Choices come from the view, which has
    loaded the regions and industries once for the whole page."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    type = forms.ChoiceField(
        label=_("Type of trafficking"),
        required=False,
        choices=[("", _("All types")), *TraffickingType.choices],
    )

    def __init__(self, data, *, regions, industries):
        super().__init__(data)
        self.fields["region"].choices = [("", _("Everywhere")), *regions]
        self.fields["industry"].choices = [("", _("All industries")), *industries]

    def _in_range(self, name):
        value = self.cleaned_data.get(name)
        message = value and date_range_error(value)
        if message:
            raise forms.ValidationError(message)
        return value

    def clean_date_from(self):
        return self._in_range("date_from")

    def clean_date_to(self):
        return self._in_range("date_to")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date comes before the start date."))
        return data
