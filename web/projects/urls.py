from django.urls import path, register_converter

from projects.converters import RelativePathConverter
from projects.views import browse, downloads, entries, projects, tus, uploads

register_converter(RelativePathConverter, "relpath")

# One tus upload, wherever it goes (kubeshowcase/urls.py mounts these at /uploads/).
upload_urlpatterns = [
    path("<uuid:upload>/", tus.upload, name="uploads-tus"),
]

urlpatterns = [
    path("", projects.project_list, name="projects-list"),
    path("new", projects.project_create, name="projects-create"),
    path("<str:project>/", browse.folder, {"path": ""}, name="projects-detail"),
    path("<str:project>/rename", projects.project_rename, name="projects-rename"),
    path("<str:project>/delete", projects.project_delete, name="projects-delete"),
    path("<str:project>/browse/<relpath:path>", browse.folder, name="projects-browse"),
    path("<str:project>/mkdir/<relpath:path>", browse.make_folder, name="projects-mkdir"),
    path("<str:project>/upload/<relpath:path>", uploads.upload, name="projects-upload"),
    path("<str:project>/tus/<relpath:path>", tus.create, name="projects-tus"),
    path("<str:project>/file/<relpath:path>", downloads.download_file, name="projects-file"),
    path("<str:project>/zip/<relpath:path>", downloads.download_zip, name="projects-zip"),
    path(
        "<str:project>/rename-entry/<relpath:path>",
        entries.rename_entry,
        name="projects-entry-rename",
    ),
    path(
        "<str:project>/delete-entry/<relpath:path>",
        entries.delete_entry,
        name="projects-entry-delete",
    ),
]
