from django.urls import include, path

from openmsp.api import api
from openmsp.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("openmsp.accounts.urls")),
    path("clients/", include("openmsp.tenants.urls")),
    path("audit/", include("openmsp.core.urls")),
    path("assets/", include("openmsp.assets.urls")),
    path("agent/v1/", include("openmsp.agent_api.urls")),
    path("", include("openmsp.web.urls")),
]
