"""The results app's Forms: which run's results a project's results page shows."""

from __future__ import annotations

from django import forms

from runs.forms import MAX_NAME


class RunChoiceForm(forms.Form):
    """?run=<name> from the page's run chooser; none chosen means the latest finished run.

    A name that is not a run of the project's (or not a name at all) is a 404 in the view.
    """

    run = forms.CharField(required=False, max_length=MAX_NAME)
