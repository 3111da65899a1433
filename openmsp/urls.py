from django.urls import include, path

from openmsp.agent_api import views as agent_views
from openmsp.api import api
from openmsp.core import api_fallback, metrics_endpoint
from openmsp.interfaces import report_view as interface_report
from openmsp.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("metrics", metrics_endpoint.metrics, name="metrics"),
    # Before the API: authenticated by an interface report token, not a user (report_view).
    path("api/v1/interfaces/report", interface_report.report, name="interface_report"),
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", api_fallback.not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("openmsp.accounts.urls")),
    path("clients/", include("openmsp.tenants.urls")),
    path("audit/", include("openmsp.core.urls")),
    path("assets/", include("openmsp.assets.urls")),
    path("checks/", include("openmsp.monitoring.urls")),
    path("notifications/", include("openmsp.notifications.urls")),
    path("problems/", include("openmsp.alerts.urls")),
    path("agent/v1/", include("openmsp.agent_api.urls")),
    path("heartbeats/", include("openmsp.heartbeats.urls")),
    path("interfaces/", include("openmsp.interfaces.urls")),
    path("tickets/", include("openmsp.servicedesk.urls")),
    path("kb/", include("openmsp.knowledge.urls")),
    path("csat/", include("openmsp.servicedesk.csat_urls")),
    path("oncall/", include("openmsp.oncall.urls")),
    path("reports/", include("openmsp.reports.urls")),
    path("dashboards/", include("openmsp.reports.dashboard_urls")),
    path("ping/", include("openmsp.heartbeats.ping_urls")),
    path("agent/<str:version>/<path:rest>", agent_views.unsupported_version),
    path("", include("openmsp.web.urls")),
]
