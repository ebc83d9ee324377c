"""The words for service errors, by code, in the user's language."""

from flask_babel import lazy_gettext as _l

from tenants.services.errors import ServiceError

MESSAGES = {
    "required": _l("This field is required."),
    "email_invalid": _l("This is not a valid email address."),
    "email_taken": _l("An account with this email already exists. Log in or reset your password."),
    "password_short": _l("The password needs at least %(min)s characters."),
    "password_weak": _l(
        "This password is too easy to guess. Use a longer phrase that does not contain your email."
    ),
    "password_wrong": _l("The current password is not right."),
    "password_mismatch": _l("The two passwords do not match."),
    "kind_invalid": _l("Choose landlord or business."),
    "role_invalid": _l("Choose one of the roles offered."),
    "already_member": _l("This person is already a member of the workspace."),
    "last_owner": _l("The workspace needs at least one member with this role."),
    "invitation_closed": _l("This invitation was already used, revoked or has expired."),
    "invitation_other_email": _l(
        "This invitation was sent to %(email)s. Log in with that address to accept it."
    ),
}


def message_for(error: ServiceError) -> str:
    template = MESSAGES.get(error.code)
    return str(template) % error.params if template is not None else error.code


def apply_to_form(form, error: ServiceError) -> None:
    """Show the error next to its field (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message_for(error)]
    else:
        form.form_errors.append(message_for(error))


ACTIVITY = {
    "workspace.created": _l("created the workspace"),
    "member.invited": _l("invited %(email)s"),
    "member.joined": _l("joined the workspace"),
    "member.role_changed": _l("changed the role of %(email)s"),
    "member.removed": _l("removed %(email)s"),
    "invitation.revoked": _l("revoked the invitation of %(email)s"),
    "api_token.created": _l("created the API token “%(name)s”"),
    "api_token.revoked": _l("revoked the API token “%(name)s”"),
}


def activity_label(event) -> str:
    template = ACTIVITY.get(event.action)
    if template is None:
        return event.action
    try:
        return str(template) % event.detail
    except (KeyError, TypeError):
        return event.action
