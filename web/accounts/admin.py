from django.contrib import admin

from accounts.models import Guest


@admin.register(Guest)
class GuestAdmin(admin.ModelAdmin):
    list_display = ["slug", "created_at"]
    readonly_fields = ["slug", "created_at"]
    search_fields = ["slug"]
