"""English sentences the actions layer raises verbatim, marked here so the UI can show them
translated (`gettext(exc.message)` in openmsp.web.pages.apply_error). Messages built with
f-strings cannot be looked up this way and are shown as raised."""

from django.utils.translation import gettext_noop as N_

ACTION_MESSAGES = (
    N_("Your role does not allow this."),
    N_("This API token is read-only."),
    N_("The site belongs to another client."),
    N_("The calendar belongs to another client."),
    N_("Business-hours support needs a business calendar."),
    N_("Give the date the data processing agreement was signed."),
    N_("The contract cannot end before it starts."),
    N_("Each priority may have one target only."),
    N_("Targets are positive numbers of minutes."),
    N_("This client has contracts or users; set its status to offboarded instead of deleting it."),
    N_("Contracts still use this calendar; choose another calendar for them first."),
    N_("This conflicts with an existing record (IntegrityError)."),
)
