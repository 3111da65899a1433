from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "openmsp.reports"
    label = "reports"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        # Daily, so a missed first-of-month (scheduler down) is caught up the next day; the job
        # only generates what is missing and only mails what has not been mailed.
        register(
            Periodic("reports.monthly", "openmsp.reports.jobs:monthly_reports", cron="7 1 * * *")
        )
        # The same for the quarterly review: due some days after the quarter (the plan says
        # how many), caught up daily until mailed.
        register(
            Periodic("reports.qbr", "openmsp.reports.qbr_jobs:quarterly_reviews", cron="17 1 * * *")
        )
