"""Escalation to partner law firms (issue 14): core, firms, eligibility, escalating, the inbox."""
