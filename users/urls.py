from django.urls import path

from users import views

app_name = "users"
urlpatterns = [
    path("csrf_token/", views.CsrfTokenView.as_view(), name="csrf_token"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("info/", views.UserInfoView.as_view(), name="info"),
    path(
        "usernames/<str:username>/count/", views.UsernameCountView.as_view(), name="username_count"
    ),
    path("mobiles/<str:mobile>/count/", views.MobileCountView.as_view(), name="mobile_count"),
]
