from django.contrib import admin

from manyi.customers.models import Customer, ImportJob, Purchase, Tag


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "home_outlet", "relationship_level")
    list_filter = ("relationship_level",)
    raw_id_fields = ("home_outlet", "company")
    show_full_result_count = False


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ("customer", "product", "batch_no", "purchased_on")
    raw_id_fields = ("customer", "outlet")
    show_full_result_count = False


admin.site.register(Tag)
admin.site.register(ImportJob)
