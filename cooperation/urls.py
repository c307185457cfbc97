from django.urls import path

from . import views

app_name = "cooperation"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="event-list"),
    path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    path("programs/", views.program_list, name="program-list"),
    path("programs/<slug:slug>/", views.program_detail, name="program-detail"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
    path("people/<slug:slug>/", views.person_detail, name="person-detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    path("places/<slug:slug>/", views.place_detail, name="place-detail"),
]
