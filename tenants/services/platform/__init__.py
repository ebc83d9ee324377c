"""What every workspace stands on: accounts, workspaces and members, secrets, outgoing mail."""
