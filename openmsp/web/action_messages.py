"""English sentences the actions layer raises verbatim, marked here so the UI can show them
translated (`gettext(exc.message)` in openmsp.web.pages.apply_error). Messages built with
f-strings cannot be looked up this way and are shown as raised."""

from django.utils.translation import gettext_noop

ACTION_MESSAGES = (
    gettext_noop("Your role does not allow this."),
    gettext_noop("This API token is read-only."),
    gettext_noop("The site belongs to another client."),
    gettext_noop("The calendar belongs to another client."),
    gettext_noop("Business-hours support needs a business calendar."),
    gettext_noop("Give the date the data processing agreement was signed."),
    gettext_noop("The contract cannot end before it starts."),
    gettext_noop("Each priority may have one target only."),
    gettext_noop("Targets are positive numbers of minutes."),
    gettext_noop(
        "This client has contracts or users; set its status to offboarded instead of deleting it."
    ),
    gettext_noop("Contracts still use this calendar; choose another calendar for them first."),
    gettext_noop("This conflicts with an existing record (IntegrityError)."),
    gettext_noop(
        "E-mailing the quarterly review needs recipients: add review or report recipients."
    ),
    gettext_noop("Send the quarterly review 0 to 60 days after the quarter."),
    gettext_noop("This review is already queued to be sent: wait for it to finish."),
)
