"""All models, imported here so that `Base.metadata` knows every table."""

from tenants.models.accounts import User, UserSession
from tenants.models.activity import ActivityEvent
from tenants.models.jobs import JobRun
from tenants.models.mail import Email
from tenants.models.workspaces import (
    ApiToken,
    Invitation,
    Member,
    Workspace,
    WorkspaceKind,
)

__all__ = [
    "ActivityEvent",
    "ApiToken",
    "Email",
    "Invitation",
    "JobRun",
    "Member",
    "User",
    "UserSession",
    "Workspace",
    "WorkspaceKind",
]
