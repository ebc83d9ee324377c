"""What a job run's failure means to the person watching it, and what they can do next.

The job records a message code and its parameters on the run (jobs/runtime.py); the words are
chosen here, when the page is shown, in the viewer's language.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tenants.models import JobRun
from tenants.services.errors import ServiceError
from web.messages import MESSAGES, message_for

# Why it stopped, when the cause is ours: the person did nothing wrong and trying again later
# may work, so these also say how to reach support.
OUR_SIDE = {
    "job_database_unavailable": _l("Our database stopped answering while it ran."),
    "job_timeout": _l("It took longer than the time allowed and was stopped."),
    "job_interrupted": _l("The process running it stopped unexpectedly."),
    "job_failed": _l("Something went wrong on our side."),
    "invitation_not_sent": _l("Our mail server did not take the invitation to %(email)s."),
}
# Why it stopped, when trying again with the same input would fail the same way.
THEIR_SIDE = {
    "import_file_missing": _l("The uploaded file is no longer kept."),
    "invitation_refused": _l(
        "The mail server of %(email)s refused the invitation: the address may be wrong."
    ),
}


def _reason(code: str, params: dict) -> str:
    words = OUR_SIDE.get(code) or THEIR_SIDE.get(code)
    if words is None:  # a service's own code, such as invoice_import_no_rows
        return message_for(ServiceError(code, None, **params))
    return str(words) % params if params else str(words)


def _headline(run: JobRun) -> str:
    if run.kind == "invoice_import":
        return _("The import failed. Nothing was imported.")
    if run.kind == "invitations":
        return _(
            "Sending the invitations stopped after %(done)s of %(total)s.",
            done=run.done,
            total=run.total,
        )
    return _("This task failed.")


def _next_steps(run: JobRun, code: str) -> list[str]:
    ours = code in OUR_SIDE
    if run.kind == "invoice_import":
        if code == "job_timeout":
            steps = [_("Split the file into smaller ones and import them one at a time.")]
        elif ours:
            steps = [_("Try again in a few minutes: upload the same file again.")]
        elif code == "import_file_missing":
            steps = [_("Upload the file again.")]
        else:
            steps = [_("Check the file, correct it and upload it again.")]
    elif run.kind == "invitations":
        if ours:
            steps = [_("Invitations already sent stay sent. Invite the others again later.")]
        else:
            steps = [_("Check the address: revoke that invitation below and invite the right one.")]
    else:
        steps = [_("Try again in a few minutes.")] if ours else []
    if ours:
        reference = f"JOB-{run.id}"
        support = current_app.config.get("SUPPORT_EMAIL")
        if support:
            steps.append(
                _(
                    "If it happens again, write to %(email)s quoting the reference %(ref)s.",
                    email=support,
                    ref=reference,
                )
            )
        else:
            steps.append(
                _(
                    "If it happens again, contact support quoting the reference %(ref)s.",
                    ref=reference,
                )
            )
    return steps


def describe_failure(run: JobRun) -> dict | None:
    """For a run that failed or is waiting for another try: a headline, the reason and what to
    do next, in the viewer's language. None for a run that is queued, running or done."""
    if run.status not in ("failed", "retrying"):
        return None
    code, params = run.error_code or "job_failed", run.error_params or {}
    if code not in OUR_SIDE and code not in THEIR_SIDE and code not in MESSAGES:
        code, params = "job_failed", {}  # a code with no words yet: say it was ours
    if run.status == "retrying":
        return {
            "retrying": True,
            "headline": _("Interrupted. Amparo tries again by itself in a moment."),
            "reason": _reason(code, params),
            "steps": [_("You can leave this page: the result will be here.")],
        }
    return {
        "retrying": False,
        "headline": _headline(run),
        "reason": _reason(code, params),
        "steps": _next_steps(run, code),
    }
