from django.contrib import admin

from accounts.models import Guest


@admin.register(Guest)
class GuestAdmin(admin.ModelAdmin):
    list_display = ["slug", "created_at", "expires_at", "created_from"]
    readonly_fields = ["slug", "created_at", "expires_at", "created_from"]
    search_fields = ["slug", "created_from"]
