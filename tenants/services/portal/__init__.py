"""The debtor portal's services: its links, what debtors tell, paying online (issue 12)."""
