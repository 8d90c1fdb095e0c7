from django.urls import path

from runs.views import detail, mine, queue

urlpatterns = [
    path("", queue.queue_page, name="runs-queue"),
    path("queue-table", queue.queue_table, name="runs-queue-table"),
    # Before <name>/: generated run names are "<owner>-<project>-xxxxx", never "mine".
    path("mine/", mine.my_runs, name="runs-mine"),
    path("<str:name>/", detail.run_detail, name="runs-detail"),
    path("<str:name>/status", detail.run_status, name="runs-status"),
    path("<str:name>/log", detail.run_log, name="runs-log"),
    path("<str:name>/cancel", detail.run_cancel, name="runs-cancel"),
]
