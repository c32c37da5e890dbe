"""Reference data: professions and countries."""

from __future__ import annotations

from django.contrib import admin

from ..models import Country, Profession
from ._base import PolkuAdminMixin


@admin.register(Profession)
class ProfessionAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("name_en", "name_fi", "sector", "regulation", "required_language_level")
    list_filter = ("sector", "regulation", "register")
    search_fields = ("code", "name_en", "name_fi", "name_sv")


@admin.register(Country)
class CountryAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("name_en", "code", "is_eu_eea", "is_nordic", "who_safeguards_list")
    list_filter = ("is_eu_eea", "is_nordic", "who_safeguards_list", "who_region")
    search_fields = ("code", "alpha3", "name_en", "name_fi", "name_sv")
