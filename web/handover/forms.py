from django import forms


class GuestWorkForm(forms.Form):
    """Keep the guest space's work in the account, or leave it to expire with the space."""

    choice = forms.ChoiceField(choices=[("keep", "Move it into my account"),
                                        ("leave", "Leave it")])
