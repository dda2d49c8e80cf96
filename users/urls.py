from django.urls import path

from users import views

app_name = "users"
urlpatterns = [
    path("csrf_token/", views.CsrfTokenView.as_view(), name="csrf_token"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/sms/", views.LoginSmsView.as_view(), name="login_sms"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("mobile/", views.MobileChangeView.as_view(), name="mobile"),
    path("account/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("info/", views.UserInfoView.as_view(), name="info"),
    path(
        "usernames/<str:username>/count/", views.UsernameCountView.as_view(), name="username_count"
    ),
    path("mobiles/<str:mobile>/count/", views.MobileCountView.as_view(), name="mobile_count"),
    path("emails/", views.EmailView.as_view(), name="emails"),
    path(
        "emails/verification/",
        views.EmailVerificationView.as_view(),
        name="email_verification",
    ),
]
