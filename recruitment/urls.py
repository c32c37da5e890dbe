from django.urls import path

from . import views

app_name = "recruitment"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path(
        "cases/<str:number>/transitions/<slug:name>/",
        views.case_transition,
        name="case_transition",
    ),
    path("cases/<str:number>/details/", views.case_details, name="case_details"),
    path("cases/<str:number>/placement/", views.case_placement, name="case_placement"),
    path("cases/<str:number>/retention/", views.case_retention, name="case_retention"),
    path("organisation/members/", views.members, name="members"),
    path("organisation/members/<id:pk>/remove/", views.member_remove, name="member_remove"),
    path("aggregates-only/", views.aggregates_only, name="aggregates_only"),
]
