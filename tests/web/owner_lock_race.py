"""Writes by one owner at once, released together against the owner's lock: the tests that
prove two of them cannot together pass a quota."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from tests.waiting import wait_until


def race(senders: list[Callable[[Client], tuple[int, str]]], username: str = "alice"
         ) -> list[tuple[int, str]]:
    """Each sender in its own thread with its own client signed in as username, all released
    at once: they all pass the early check (nothing used yet) and wait for the owner's lock
    (OwnerUsage), held here by another connection meanwhile, as another worker would."""
    user = User.objects.get(username=username)
    clients = [Client() for _ in senders]
    for client in clients:
        client.force_login(user)
    holder = connections.create_connection("default")
    watcher = connections.create_connection("default")
    answers: list[tuple[int, str]] = []

    def run(send: Callable[[Client], tuple[int, str]], client: Client) -> None:
        try:
            answers.append(send(client))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=pair) for pair in zip(senders, clients)]
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT 1 FROM projects_ownerusage WHERE owner = %s FOR UPDATE",
                           [username])
        for worker in workers:
            worker.start()

        def all_waiting() -> bool:
            # Asked outside the holder's transaction, which sees one snapshot of the statistics.
            with watcher.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                               "'Lock' AND datname = current_database()")
                return cursor.fetchone()[0] == len(senders)

        wait_until(all_waiting, what=f"every sender to wait for {username}'s lock")
        with holder.cursor() as cursor:
            cursor.execute("COMMIT")
        for worker in workers:
            worker.join(60)
    finally:
        holder.close()
        watcher.close()
    return answers
