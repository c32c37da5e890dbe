from django.urls import path

from . import views

app_name = "credentials"

urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("my-work/notifications/<id:pk>/read/", views.notification_read, name="notification_read"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/tracks/<slug:kind>/", views.case_track, name="case_track"),
    path("education/enrollments/", views.enrollments, name="enrollments"),
    path("education/enrollments/<id:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("education/language/", views.language_results, name="language_results"),
    path("education/language/new/", views.certificate_create, name="certificate_create"),
]
