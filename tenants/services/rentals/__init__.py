"""The rent book: properties and units, parties, leases, rent charges, deposits, rent updates,
bank statements and the landlord's dashboard."""
