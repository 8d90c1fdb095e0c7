"""The notifications Forms: a user's preferences, and the run form's "tell me when it ends"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from notifications import webhooks
from notifications.models import EmailMode, NotifyPreference


class PreferencesForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label="Webhook URL", required=False, max_length=2000, assume_scheme="https",
        help_text="Optional. Runs' ends are POSTed there as JSON, signed with a secret shown "
                  "once (X-Kubeshowcase-Signature: sha256=HMAC-SHA256 of the body). https to "
                  "a public host.")

    class Meta:
        model = NotifyPreference
        fields = ["email", "webhook_url"]
        labels = {"email": "E-mail me"}
        widgets = {"email": forms.RadioSelect}

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data.get("webhook_url") or ""
        if url:
            try:
                webhooks.check_url(url)
            except webhooks.RefusedURL as refusal:
                raise forms.ValidationError(str(refusal)) from None
        return url


class RunNotifyForm(forms.Form):
    """The checkbox on the run form; its default is the user's preference."""

    prefix = "notify"
    when_done = forms.BooleanField(required=False, label="Tell me when it ends")

    def __init__(self, data: Any = None, *, preference: NotifyPreference | None) -> None:
        super().__init__(data, initial={
            "when_done": bool(preference and preference.asks_by_default)})
        self.fields["when_done"].help_text = describe(preference)

    def wanted(self) -> bool:
        return self.is_valid() and bool(self.cleaned_data["when_done"])


def describe(preference: NotifyPreference | None) -> str:
    """How the user would be told, for the checkbox's hint."""
    ways = []
    mode = preference.email if preference else EmailMode.OFF
    webhook = bool(preference and preference.webhook_url)
    if settings.EMAIL_HOST and (mode != EmailMode.OFF or not webhook):
        ways.append("by e-mail" + (" if it fails" if mode == EmailMode.FAILURES else ""))
    if webhook:
        ways.append("by your webhook")
    return " and ".join(ways) if ways else "(no way to tell you is set up)"
