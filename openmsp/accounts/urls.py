from django.urls import path

from openmsp.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp, name="login_otp"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/setup/", views.totp_setup, name="totp_setup"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("profile/totp/remove/", views.totp_remove, name="totp_remove"),
    path("users/", views.user_list, name="user_list"),
    path("users/invite/", views.user_invite, name="user_invite"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("users/<int:user_id>/profile/", views.user_profile_edit, name="user_profile_edit"),
    path("users/<int:user_id>/role/", views.user_role_edit, name="user_role_edit"),
    path(
        "users/<int:user_id>/invitation/", views.user_invitation_send, name="user_invitation_send"
    ),
    path("users/<int:user_id>/mfa-reset/", views.user_mfa_reset, name="user_mfa_reset"),
    path("users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("settings/", views.settings_view, name="settings"),
]
