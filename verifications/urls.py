from django.urls import path

from verifications import views

app_name = "verifications"
urlpatterns = [
    path("image_codes/<str:uuid>/", views.ImageCodeView.as_view(), name="image_code"),
    path("sms_codes/<str:mobile>/", views.SmsCodeView.as_view(), name="sms_code"),
]
