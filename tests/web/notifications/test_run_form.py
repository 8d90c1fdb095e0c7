"""The run form's "tell me when it ends": its default is the user's preference; ticked, the
run gets its subscription; guests are not offered it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from notifications.models import EmailMode, NotifyPreference, RunSubscription
from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, form_controls, nuclei_form

BOX = "notify-when_done"


def page(actor: Actor) -> dict:
    response = actor.client.get(reverse("runs-new", args=["cells"]))
    assert response.status_code == 200
    return form_controls(response.content.decode())[0]


@pytest.mark.parametrize(("email", "webhook", "ticked"), [
    (None, "", False),  # no preferences saved yet
    (EmailMode.OFF, "", False),
    (EmailMode.ALL, "", True),
    (EmailMode.FAILURES, "", True),
    (EmailMode.OFF, "https://hooks.example.org/runs", True),
])
def test_the_box_starts_as_the_preference_says(alice: Actor, cluster: Cluster, email: str | None,
                                               webhook: str, ticked: bool) -> None:
    if email is not None:
        NotifyPreference.objects.create(user=User.objects.get(username="alice"), email=email,
                                        webhook_url=webhook)
    alice.project("cells")
    box = page(alice)[BOX]
    assert box["type"] == "checkbox"
    assert ("checked" in box) is ticked


def test_ticked_the_run_is_subscribed(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    response = alice.client.post(reverse("runs-new", args=["cells"]),
                                 nuclei_form(**{BOX: "on"}))
    assert response.status_code == 302
    [run] = cluster.runs()
    subscription = RunSubscription.objects.get()
    assert str(subscription.run_uid) == run["metadata"]["uid"]
    assert (subscription.user.username, subscription.done) == ("alice", False)


def test_unticked_it_is_not(alice: Actor, cluster: Cluster) -> None:
    NotifyPreference.objects.create(user=User.objects.get(username="alice"),
                                    email=EmailMode.ALL)
    alice.project("cells")
    response = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form())
    assert response.status_code == 302
    assert len(cluster.runs()) == 1
    assert not RunSubscription.objects.exists()


def test_a_refused_form_keeps_the_box_as_posted(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    response = alice.client.post(reverse("runs-new", args=["cells"]),
                                 nuclei_form(min_area="-5", **{BOX: "on"}))
    assert response.status_code == 400
    assert "checked" in form_controls(response.content.decode())[0][BOX]
    assert not RunSubscription.objects.exists() and cluster.runs() == []


def test_guests_are_not_offered_it(guest: Actor, cluster: Cluster) -> None:
    guest.project("cells")
    assert BOX not in page(guest)
    guest.client.post(reverse("runs-new", args=["cells"]), nuclei_form(**{BOX: "on"}))
    assert len(cluster.runs()) == 1
    assert not RunSubscription.objects.exists()
